// cgroup v1/v2 CPU control: mode, where the cpu/cpuset controllers live, and per group the
// quota, burst, weight, cpusets, throttling, and the effective CPU count a runtime should use.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"

namespace tunectl {

struct CpuStat {
  std::optional<int64_t> nr_periods, nr_throttled, throttled_usec;
};

struct CgroupInfo {
  std::string path;                          // "/kubepods.slice/..." relative to the hierarchy
  std::string version;                       // "v2" or "v1"
  std::optional<std::string> cpu_max;        // "200000 100000" or "max 100000" (v1 mapped)
  std::optional<int64_t> cpu_max_burst;      // usec
  std::optional<int64_t> cpu_weight;         // v2 weight (v1: from shares)
  std::optional<int64_t> cpu_shares;         // v1 only
  std::optional<std::string> cpuset_cpus, cpuset_cpus_effective;  // cpulists
  std::optional<double> effective_cpus;      // min(cpuset size, quota/period)
  std::optional<CpuStat> stat;
};

struct Cgroups {
  std::string mode;                          // unified, hybrid, legacy
  std::optional<std::string> cpu_controller;     // "v2", "v1", or null
  std::optional<std::string> cpuset_controller;  // "v2", "v1", or null
  std::optional<std::string> unified_mount, cpu_mount, cpuset_mount;  // kernel paths
  std::vector<CgroupInfo> groups;
};

// depth < 0: whole tree.
Cgroups probe_cgroups(const Host& host, ProbeErrors& errors, int depth = -1);

// JSON both ways; a missing key keeps the default (older snapshots still load).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CpuStat, nr_periods, nr_throttled, throttled_usec)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CgroupInfo, path, version, cpu_max, cpu_max_burst, cpu_weight, cpu_shares, cpuset_cpus, cpuset_cpus_effective, effective_cpus, stat)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Cgroups, mode, cpu_controller, cpuset_controller, unified_mount, cpu_mount, cpuset_mount, groups)

}  // namespace tunectl
