// The cpu_power area: registry entry and its `tunectl probe` section. CPUs with the same settings
// are printed as one row (a cpulist), so the section stays short on large hosts.
#include <algorithm>
#include <map>
#include <tuple>
#include <type_traits>

#include "probes/probe_area.h"
#include "probes/table_cells.h"

namespace tunectl {
namespace {

using Align = Table::Align;
using Cell = Table::Cell;

std::string words(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& w : v) out += (out.empty() ? "" : " ") + w;
  return out;
}

template <class T>
std::string or_dash(const std::optional<T>& v) {
  if (!v) return kUnknownCell;
  if constexpr (std::is_same_v<T, std::string>) return *v;
  else return std::to_string(*v);
}

void print_cpufreq(std::ostream& out, const CpuPower& p) {
  if (!p.cpufreq) {
    out << "  cpufreq: unavailable: " << p.cpufreq_unavailable.value_or("not probed") << "\n";
    return;
  }
  const Cpufreq& f = *p.cpufreq;
  out << "  cpufreq: " << f.driver << ", " << f.policies.size() << " policies";
  if (f.boost) out << ", boost " << (*f.boost ? "on" : "off");
  if (p.intel_pstate) {
    const IntelPstate& i = *p.intel_pstate;
    out << "; intel_pstate " << or_dash(i.status) << ", no_turbo "
        << (i.no_turbo ? (*i.no_turbo ? "1" : "0") : kUnknownCell) << ", perf " << or_dash(i.min_perf_pct) << ".."
        << or_dash(i.max_perf_pct) << "%";
  }
  if (p.amd_pstate_status) out << "; amd_pstate " << *p.amd_pstate_status;
  out << "\n";
  // Policies with identical settings share a row.
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  std::map<Key, CpuSet> groups;
  std::vector<Key> order;
  for (const auto& pol : f.policies) {
    const Key k{or_dash(pol.governor), or_dash(pol.epp), or_dash(pol.min_khz), or_dash(pol.max_khz),
                or_dash(pol.cpuinfo_min_khz) + ".." + or_dash(pol.cpuinfo_max_khz)};
    if (!groups.count(k)) order.push_back(k);
    for (int c : cpus_of(pol.related_cpus)) groups[k].push_back(c);
  }
  Table t({{"CPUS"}, {"GOVERNOR"}, {"EPP"}, {"MIN kHz", Align::Right}, {"MAX kHz", Align::Right}, {"HW RANGE kHz"}});
  for (const auto& k : order) {
    CpuSet cpus = groups[k];
    std::sort(cpus.begin(), cpus.end());
    t.add_row({format_cpulist(cpus), std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), std::get<4>(k)});
  }
  t.print(out, "  ");
}

void print_cpuidle(std::ostream& out, const CpuPower& p) {
  if (!p.cpuidle) {
    out << "  cpuidle: unavailable: " << p.cpuidle_unavailable.value_or("not probed") << "\n";
    return;
  }
  out << "  cpuidle: " << p.cpuidle->driver << ", governor " << or_dash(p.cpuidle->governor);
  if (!p.cpuidle->available_governors.empty()) out << " (of " << words(p.cpuidle->available_governors) << ")";
  if (p.cpuidle_unavailable) out << "; " << *p.cpuidle_unavailable;
  out << "\n";
  // One row per state (as the first CPU that has it names it), with the CPUs that disable it.
  std::map<int, const CpuidleState*> first;
  std::map<int, CpuSet> disabled;
  for (const auto& c : p.cpus)
    for (const auto& s : c.idle_states) {
      first.emplace(s.state, &s);
      if (s.disabled.value_or(false)) disabled[s.state].push_back(c.cpu);
    }
  if (first.empty()) return;
  Table t({{"STATE"}, {"NAME"}, {"DESC"}, {"EXIT us", Align::Right}, {"RESIDENCY us", Align::Right}, {"DISABLED ON"}});
  for (const auto& [k, s] : first)
    t.add_row({"state" + std::to_string(k), s->name, s->desc, opt_num(s->latency_us), opt_num(s->residency_us),
               or_none(format_cpulist(disabled[k]))});
  t.print(out, "  ");
}

void print_epb(std::ostream& out, const CpuPower& p) {
  std::map<int64_t, CpuSet> by_value;
  for (const auto& c : p.cpus)
    if (c.epb) by_value[*c.epb].push_back(c.cpu);
  if (by_value.empty()) return;
  std::string line;
  for (const auto& [v, cpus] : by_value)
    line += (line.empty() ? "" : "; ") + std::to_string(v) + " on " + format_cpulist(cpus);
  out << "  energy_perf_bias: " << line << "\n";
}

void print_cpu_power(std::ostream& out, const Snapshot& snap) {
  const CpuPower& p = *snap.cpu_power;
  print_cpufreq(out, p);
  print_cpuidle(out, p);
  print_epb(out, p);
}

}  // namespace

ProbeArea probe_area_cpu_power() {
  ProbeArea a = member_area(&Snapshot::cpu_power, "cpu_power", "cpu_power", "CPU power management");
  const std::string cpu = "/sys/devices/system/cpu/";
  a.kernel_files = {cpu + "online",
                    cpu + "cpufreq/policy<N>/affected_cpus",
                    cpu + "cpufreq/policy<N>/related_cpus",
                    cpu + "cpufreq/policy<N>/scaling_driver",
                    cpu + "cpufreq/policy<N>/scaling_governor",
                    cpu + "cpufreq/policy<N>/scaling_available_governors",
                    cpu + "cpufreq/policy<N>/cpuinfo_min_freq",
                    cpu + "cpufreq/policy<N>/cpuinfo_max_freq",
                    cpu + "cpufreq/policy<N>/scaling_min_freq",
                    cpu + "cpufreq/policy<N>/scaling_max_freq",
                    cpu + "cpufreq/policy<N>/energy_performance_available_preferences",
                    cpu + "cpufreq/policy<N>/scaling_available_frequencies",
                    cpu + "cpufreq/boost",
                    cpu + "intel_pstate/status",
                    cpu + "intel_pstate/no_turbo",
                    cpu + "intel_pstate/min_perf_pct",
                    cpu + "cpuidle/current_driver",
                    cpu + "cpuidle/available_governors",
                    cpu + "cpu<N>/cpuidle/state<N>/name",
                    cpu + "cpu<N>/cpuidle/state<N>/latency",
                    cpu + "cpu<N>/cpuidle/state<N>/disable",
                    cpu + "cpu<N>/cpuidle/state<N>/usage",
                    cpu + "cpu<N>/power/energy_perf_bias"};
  a.probe = [](const Host& host, Snapshot& s, ProbeErrors& errors, const AwaitInputs&) {
    s.cpu_power = probe_cpu_power(host, errors);
  };
  a.print_table = print_cpu_power;
  return a;
}

}  // namespace tunectl
