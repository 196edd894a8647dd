#include "tuner/knobs/cpu_power_section.h"

#include <algorithm>

#include "core/json_check.h"
#include "core/parse.h"
#include "tuner/knobs/cpu_pool.h"

namespace tunectl {
namespace {

// Profile field -> the knob address it becomes for a cpulist.
std::string address_for(const std::string& cpus, const std::string& field) {
  if (field == "max_latency_us") return "cpuidle:" + cpus + ":max_latency_us";
  if (field == "epb") return "epb:" + cpus;
  return "cpufreq:" + cpus + ":" + field;
}

void check_cpu_set(const std::string& key, const std::string& at) {
  if (key == "all" || key == "housekeeping" || key == "isolated" || key == "application") return;
  if (key.rfind("node", 0) == 0) {
    auto n = parse_int(key.substr(4));
    if (n && *n >= 0 && *n < 4096) return;
    throw JsonError(at, "'" + key + "': a NUMA node is node<N>, e.g. node0");
  }
  auto p = parse_cpulist(key);
  if (!p.ok() || p.value->empty())
    throw JsonError(at, "'" + key + "' is not a CPU set (all, housekeeping, isolated, application, node<N> or a cpulist)");
}

void check_field(const std::string& field, const std::string& at) {
  static const std::vector<std::string> known = {"governor", "epp", "min_freq", "max_freq", "max_latency_us", "epb"};
  if (std::find(known.begin(), known.end(), field) == known.end())
    throw JsonError(at, "unknown key '" + field + "' (known: governor, epp, min_freq, max_freq, max_latency_us, epb)");
}

CpuSet resolve(const std::string& set, const Topology& topo) {
  if (set == "isolated") return isolated_or_nohz(topo);
  if (set == "application") {
    CpuSet iso = isolated_or_nohz(topo);
    return iso.empty() ? cpu_pool("all", false, topo) : iso;
  }
  if (set.rfind("node", 0) == 0) return intersect(topo.node_cpus(int(*parse_int(set.substr(4)))), cpu_pool("all", false, topo));
  return cpu_pool(set, false, topo);  // all, housekeeping, or a cpulist (online CPUs only)
}

void collect_cpu_power(const json& sec, PlanSink& sink) {
  if (!sink.need("topology", "cpu_power")) return;
  for (const auto& [set, fields] : sec.items()) {
    const CpuSet cpus = resolve(set, *sink.snapshot().topology);
    if (cpus.empty()) {
      sink.warn("cpu_power: no online CPU is in '" + set + "' on this host; its settings are not planned");
      continue;
    }
    for (const auto& [field, s] : fields.items())
      if (is_setting(s))
        sink.add(address_for(format_cpulist(cpus), field),
                 setting_of(s, "/cpu_power/" + pointer_token(set) + "/" + pointer_token(field)));
  }
}

}  // namespace

std::shared_ptr<ProfileSection> cpu_power_section() {
  auto section = std::make_shared<ProfileSection>();
  section->name = "cpu_power";
  section->shape = SectionShape::kGrouped;
  section->check_key = check_cpu_set;
  section->check_field = check_field;
  // Values are checked as if for CPU 0: which CPUs a set holds is known only on the host.
  section->address = [](const std::string&, const std::string& field) { return address_for("0", field); };
  section->collect = collect_cpu_power;
  return section;
}

std::shared_ptr<ProfileSection> pstate_section() {
  auto section = std::make_shared<ProfileSection>();
  section->name = "pstate";
  section->shape = SectionShape::kKeyed;
  section->check_key = [](const std::string& key, const std::string& at) {
    json_check::check_name(key, at, "intel_pstate setting", "", 32);
  };
  section->address = [](const std::string& key, const std::string&) { return "pstate:" + key; };
  section->collect = keyed_collector("pstate", "pstate");
  return section;
}

}  // namespace tunectl
