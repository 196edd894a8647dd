// The knob catalogue (knob_catalogue.h): the registry's kinds with what each writes, and the
// sysctl table. A kind missing from kWrites below is a test failure (test_knob_catalogue.cpp).
#include "tuner/knobs/knob_catalogue.h"

#include <map>

#include "tuner/knobs/knob.h"
#include "tuner/knobs/section.h"

namespace tunectl {
namespace {

struct KindText {
  const char* writes;
  const char* netns;
};

// What each kind changes on the host, in the words of its own file's header comment.
const std::map<std::string, KindText>& kind_texts() {
  static const std::map<std::string, KindText> texts = {
      {"sysctl", {"/proc/sys/<dotted/name>: one allowlisted sysctl (see the sysctl list)", "per sysctl"}},
      {"thp", {"/sys/kernel/mm/transparent_hugepage/<file>", "no"}},
      {"irq", {"/proc/irq/<N>/smp_affinity_list (effect: effective_affinity_list)", "no"}},
      {"rps", {"/sys/class/net/<if>/queues/rx-<N>/rps_cpus (hex mask)", "the interface's namespace"}},
      {"rps_flow",
       {"/sys/class/net/<if>/queues/rx-<N>/rps_flow_cnt (0 or a power of two)", "the interface's namespace"}},
      {"xps", {"/sys/class/net/<if>/queues/tx-<N>/xps_cpus (hex mask)", "the interface's namespace"}},
      {"ethtool", {"the driver's channels, coalescing and ring sizes over ethtool netlink (live host only)",
                   "the interface's namespace"}},
      {"cgroup", {"<cpu or cpuset controller mount><path>/<file> (cgroup v1: cpu.max becomes cpu.cfs_quota_us + "
                  "cpu.cfs_period_us)", "no"}},
      {"cgroup_dir", {"mkdir/rmdir of <path> in the cpu (and, on v1, cpuset) hierarchies: present | absent", "no"}},
      {"cpufreq", {"/sys/devices/system/cpu/cpuN/cpufreq/{scaling_governor, energy_performance_preference, "
                   "scaling_min_freq, scaling_max_freq} for every CPU in the list", "no"}},
      {"pstate", {"/sys/devices/system/cpu/intel_pstate/{no_turbo, min_perf_pct, max_perf_pct}", "no"}},
      {"cpuidle", {"/sys/devices/system/cpu/cpuN/cpuidle/stateK/disable = 1 for every state whose exit latency exceeds "
                   "the ceiling (never enables one)", "no"}},
      {"epb", {"/sys/devices/system/cpu/cpuN/power/energy_perf_bias for every CPU in the list", "no"}},
      {"boot", {"one kernel parameter in tunectl's boot loader drop-in: /etc/default/grub.d/tunectl.cfg (GRUB) or "
                "/etc/kernel/cmdline (kernel-install); the boot loader's configuration is regenerated once per "
                "transaction; takes effect at the next boot", "no"}},
  };
  return texts;
}

const char* phase_name(ApplyPhase p) {
  switch (p) {
    case ApplyPhase::kContainers: return "containers";
    case ApplyPhase::kContainerLimits: return "container-limits";
    case ApplyPhase::kDevice: return "devices";
    case ApplyPhase::kSysctl: return "sysctls";
    case ApplyPhase::kSteering: return "steering";
    case ApplyPhase::kIrq: return "irq-affinity";
    case ApplyPhase::kCpuPower: return "cpu-power";
    case ApplyPhase::kMemory: return "memory";
    case ApplyPhase::kBoot: return "boot";
  }
  return "";
}

const char* shape_name(SectionShape s) {
  switch (s) {
    case SectionShape::kKeyed: return "keyed";
    case SectionShape::kGrouped: return "grouped";
    case SectionShape::kPolicy: return "policy";
  }
  return "";
}

}  // namespace

std::vector<KnobKindInfo> knob_kind_catalogue() {
  std::vector<KnobKindInfo> out;
  for (const KnobKind& k : knob_kinds()) {
    KnobKindInfo i;
    i.prefix = k.prefix;
    i.address = k.help;
    auto t = kind_texts().find(k.prefix);
    if (t != kind_texts().end()) {
      i.writes = t->second.writes;
      i.netns = t->second.netns;
    }
    i.phase = phase_name(k.phase);
    i.kernel_dir = k.kernel_dir;
    if (k.section) {
      i.section = k.section->name;
      i.shape = shape_name(k.section->shape);
    }
    out.push_back(std::move(i));
  }
  return out;
}

json knob_catalogue_json() {
  return {{"schema", "tunectl.knobs/1"}, {"kinds", knob_kind_catalogue()}, {"sysctls", sysctl_catalogue()}};
}

}  // namespace tunectl
