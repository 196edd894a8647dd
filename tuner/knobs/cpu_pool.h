// CPU pools for IRQ, RPS and XPS placement: which CPUs a policy may use on a host.
#pragma once
#include <string>

#include "core/parse.h"
#include "probes/topology.h"

namespace tunectl {

// "housekeeping" = online CPUs minus isolcpus and nohz_full; "all" = online CPUs; otherwise a
// cpulist intersected with the online CPUs. exclude_isolated also removes isolated/nohz_full CPUs
// from "all" and explicit lists.
CpuSet cpu_pool(const std::string& spec, bool exclude_isolated, const Topology& topo);

// Isolated (isolcpus) plus nohz_full CPUs: the application's, never the kernel's.
CpuSet isolated_or_nohz(const Topology& topo);

// Keeps the first (lowest-numbered) SMT thread of each physical core, so no two placements share
// a core's execution units.
CpuSet first_thread_per_core(const CpuSet& cpus, const Topology& topo);

CpuSet intersect(const CpuSet& a, const CpuSet& b);
CpuSet subtract(const CpuSet& a, const CpuSet& b);

}  // namespace tunectl
