// PLACEHOLDER: replaced by the real probe.
#include "probes/topology.h"
#include "probes/errors.h"
namespace tunectl {
Topology probe_topology(const Host&, ProbeErrors&) { throw Error("topology probe is not implemented yet"); }
}  // namespace tunectl
namespace tunectl {
CpuSet Topology::online_cpus() const { return {}; }
CpuSet Topology::node_cpus(int) const { return {}; }
std::optional<int> Topology::node_of(int) const { return std::nullopt; }
CpuSet Topology::isolated_cpus() const { return {}; }
}  // namespace tunectl
