#include "tuner/knobs/cpu_pool.h"

#include <algorithm>
#include <iterator>

namespace tunectl {

CpuSet intersect(const CpuSet& a, const CpuSet& b) {
  CpuSet out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

CpuSet subtract(const CpuSet& a, const CpuSet& b) {
  CpuSet out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

CpuSet isolated_or_nohz(const Topology& topo) {
  CpuSet out = topo.isolated_cpus();
  if (auto nohz = parse_cpulist(topo.nohz_full); nohz.ok()) {
    CpuSet merged;
    std::set_union(out.begin(), out.end(), nohz.value->begin(), nohz.value->end(), std::back_inserter(merged));
    out = merged;
  }
  return out;
}

CpuSet cpu_pool(const std::string& spec, bool exclude_isolated, const Topology& topo) {
  CpuSet online = topo.online_cpus();
  CpuSet pool = online;
  if (spec == "housekeeping") {
    pool = subtract(online, isolated_or_nohz(topo));
  } else if (spec != "all") {
    auto p = parse_cpulist(spec);  // validated when the profile was loaded
    pool = p.ok() ? intersect(*p.value, online) : CpuSet{};
  }
  if (exclude_isolated) pool = subtract(pool, isolated_or_nohz(topo));
  return pool;
}

CpuSet first_thread_per_core(const CpuSet& cpus, const Topology& topo) {
  CpuSet out;
  for (int cpu : cpus) {
    auto it = std::find_if(topo.cpus.begin(), topo.cpus.end(), [&](const CpuInfo& c) { return c.cpu == cpu; });
    if (it == topo.cpus.end() || it->siblings.empty()) {
      out.push_back(cpu);
      continue;
    }
    // Kept when it is the lowest of its core's threads that are in the pool.
    auto sib = parse_cpulist(it->siblings);
    CpuSet in_pool = sib.ok() ? intersect(*sib.value, cpus) : CpuSet{};
    if (in_pool.empty() || in_pool.front() == cpu) out.push_back(cpu);
  }
  return out;
}

}  // namespace tunectl
