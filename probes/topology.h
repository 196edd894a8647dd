// CPU / NUMA topology: every CPU, every node, isolation and the boot flags that matter.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"
#include "core/parse.h"

namespace tunectl {

struct CpuInfo {
  int cpu = 0;
  bool online = true;
  std::optional<int> core, package, die, cluster, node;
  std::string siblings;  // SMT siblings cpulist including itself, "0,32"
};

struct NodeInfo {
  int node = 0;
  std::string cpus;  // cpulist
  std::optional<int64_t> mem_total_kb, mem_free_kb;
  std::vector<int> distances;  // to node 0, 1, ... in order
};

struct Topology {
  std::vector<CpuInfo> cpus;
  std::vector<NodeInfo> nodes;
  std::string online, possible, isolated, nohz_full;  // cpulists
  std::map<std::string, std::string> cmdline;         // isolcpus, nohz_full, irqaffinity, ...
  bool virtualized = false;                           // cpuinfo "hypervisor" flag
  std::optional<std::string> hypervisor;              // "KVM", "Xen", ... when known

  // Convenience for planners and benchmarks.
  CpuSet online_cpus() const;
  CpuSet node_cpus(int node) const;      // empty if unknown
  std::optional<int> node_of(int cpu) const;
  CpuSet isolated_cpus() const;
};

Topology probe_topology(const Host& host, ProbeErrors& errors);

// JSON both ways; a missing key keeps the default (older snapshots still load).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CpuInfo, cpu, online, core, package, die, cluster, node, siblings)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodeInfo, node, cpus, mem_total_kb, mem_free_kb, distances)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Topology, cpus, nodes, online, possible, isolated, nohz_full, cmdline, virtualized, hypervisor)

}  // namespace tunectl
