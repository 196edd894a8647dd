// The kernel files behind a planned change, computed from the host exactly as the knobs write
// them (tuner/knobs/knob_*.cpp): the export must say what apply would leave, byte for byte.
#include "tuner/apply/export_files.h"

#include <algorithm>

#include "core/parse.h"

namespace tunectl::export_files {
namespace {

const std::string kCpuDir = "/sys/devices/system/cpu/";

std::vector<std::string> parts_of(const std::string& knob) {
  std::vector<std::string> out(1);
  for (char ch : knob) {
    if (ch == ':') out.emplace_back();
    else out.back() += ch;
  }
  return out;
}

std::string fold_ws(const std::string& s) {
  std::string out;
  for (const auto& w : split_ws(s)) out += (out.empty() ? "" : " ") + w;
  return out;
}

// An integer as the knobs write it (parse_int then decimal), anything else folded.
std::string number_or_word(const std::string& v) {
  auto n = parse_int(trim(v));
  return n ? std::to_string(*n) : fold_ws(v);
}

CpuSet cpus_of(const std::string& list) {
  auto p = parse_cpulist(list);
  return p.ok() ? *p.value : CpuSet{};
}

std::string cpu_dir(int cpu) { return kCpuDir + "cpu" + std::to_string(cpu) + "/"; }

// rps/xps: a cpulist or "0x" mask, written as a mask as wide as the possible CPUs.
std::string steering_mask(const Host& host, const std::string& value) {
  const std::string t = trim(value);
  auto p = (t.rfind("0x", 0) == 0 || t.rfind("0X", 0) == 0) ? parse_hex_mask(t.substr(2)) : parse_cpulist(t);
  const CpuSet cpus = p.ok() ? *p.value : CpuSet{};
  int width = cpus.empty() ? 1 : cpus.back() + 1;
  if (auto possible = host.read_trimmed(kCpuDir + "possible")) {
    auto q = parse_cpulist(*possible);
    if (q.ok() && !q.value->empty()) width = q.value->back() + 1;
  }
  return format_hex_mask(cpus, width);
}

std::string epb_number(const std::string& value) {
  const std::pair<const char*, int> names[] = {
      {"performance", 0}, {"balance-performance", 4}, {"normal", 6}, {"balance-power", 8}, {"power", 15}};
  const std::string t = fold_ws(value);
  for (const auto& [name, v] : names)
    if (t == name) return std::to_string(v);
  return number_or_word(t);
}

const char* cpufreq_file(const std::string& setting) {
  if (setting == "governor") return "scaling_governor";
  if (setting == "epp") return "energy_performance_preference";
  if (setting == "min_freq") return "scaling_min_freq";
  if (setting == "max_freq") return "scaling_max_freq";
  return nullptr;
}

// cpuidle: `disable` = 1 for every idle state whose exit latency exceeds the ceiling.
std::vector<FileWrite> idle_states_above(const Host& host, const CpuSet& cpus, const std::string& ceiling) {
  std::vector<FileWrite> out;
  const auto limit = parse_int(trim(ceiling));
  if (!limit) return out;
  for (int cpu : cpus)
    for (const auto& name : host.list(cpu_dir(cpu) + "cpuidle")) {
      if (name.rfind("state", 0) != 0) continue;
      const std::string dir = cpu_dir(cpu) + "cpuidle/" + name + "/";
      auto latency = host.read_trimmed(dir + "latency");
      auto l = latency ? parse_int(*latency) : std::nullopt;
      if (l && *l > *limit) out.push_back({dir + "disable", "1"});
    }
  return out;
}

}  // namespace

std::string kind_of(const std::string& knob) { return knob.substr(0, knob.find(':')); }

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  return s;
}

std::optional<std::vector<FileWrite>> files_written(const Host& host, const Change& c) {
  const auto p = parts_of(c.knob);
  const std::string& kind = p[0];
  if (kind == "thp" && p.size() == 2)
    return std::vector<FileWrite>{{"/sys/kernel/mm/transparent_hugepage/" + p[1], number_or_word(c.value)}};
  if (kind == "pstate" && p.size() == 2)
    return std::vector<FileWrite>{{kCpuDir + "intel_pstate/" + p[1], number_or_word(c.value)}};
  if ((kind == "rps" || kind == "xps" || kind == "rps_flow") && p.size() == 3) {
    const std::string dir = "/sys/class/net/" + p[1] + "/queues/" + p[2] + "/";
    if (kind == "rps_flow") return std::vector<FileWrite>{{dir + "rps_flow_cnt", number_or_word(c.value)}};
    return std::vector<FileWrite>{{dir + kind + "_cpus", steering_mask(host, c.value)}};
  }
  if (kind == "epb" && p.size() == 2) {
    std::vector<FileWrite> out;
    for (int cpu : cpus_of(p[1])) out.push_back({cpu_dir(cpu) + "power/energy_perf_bias", epb_number(c.value)});
    return out;
  }
  if (kind == "cpufreq" && p.size() == 3 && cpufreq_file(p[2])) {
    std::vector<FileWrite> out;
    for (int cpu : cpus_of(p[1]))
      out.push_back({cpu_dir(cpu) + "cpufreq/" + cpufreq_file(p[2]), number_or_word(c.value)});
    return out;
  }
  if (kind == "cpuidle" && p.size() == 3) return idle_states_above(host, cpus_of(p[1]), c.value);
  return std::nullopt;
}

std::string elsewhere(const std::string& kind) {
  if (kind == "sysctl") return "a sysctl: --format sysctl.d";
  if (kind == "thp") return "not a device attribute (/sys/kernel/mm/transparent_hugepage): --format tmpfiles.d";
  if (kind == "pstate") return "a driver-wide file (/sys/devices/system/cpu/intel_pstate), no device: --format tmpfiles.d";
  if (kind == "irq")
    return "IRQ affinity (/proc/irq/N): IRQ numbers are assigned at run time and can change between boots";
  if (kind == "rps" || kind == "rps_flow" || kind == "xps")
    return "a per-queue attribute of a network device that may appear after early boot: --format udev";
  if (kind == "ethtool") return "a NIC setting made through ethtool's netlink interface, no file: --format udev";
  if (kind == "cgroup" || kind == "cgroup_dir")
    return "a cgroup file: cgroups are created at run time by the service or workload manager";
  if (kind == "cpufreq" || kind == "cpuidle" || kind == "epb") return "a per-CPU sysfs file: --format udev or tmpfiles.d";
  if (kind == "boot") return "a kernel command-line parameter: only the boot loader's configuration holds it";
  return "no such file in this format";
}

std::string header(const NativeExport& e) {
  return "# " + e.format + " file written by `tunectl export --format " + e.format + "`: profile " + e.profile +
         " (sha256 " + e.digest + "),\n# planned on " + (e.root == "/" ? "the live host" : "tree " + e.root) + ".\n";
}

std::string tail(const NativeExport& e, const std::vector<Excluded>& excluded) {
  std::string t;
  if (!e.not_expressible.empty()) {
    t += "#\n# Not expressible as " + e.format + " (" + std::to_string(e.not_expressible.size()) +
         "); `tunectl apply -p " + e.profile + " --persist` applies these at boot:\n";
    for (const auto& n : e.not_expressible) t += "#   " + n.knob + " = " + n.value + ": " + n.reason + "\n";
  }
  if (!excluded.empty()) {
    t += "#\n# Left out on this host by the profile's conditions:\n";
    for (const auto& x : excluded) t += "#   " + x.item + ": " + one_line(x.reason) + "\n";
  }
  return t;
}

}  // namespace tunectl::export_files
