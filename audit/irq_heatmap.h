// The IRQ-per-CPU heat map of an audit report: each NIC queue IRQ's interrupts per CPU between
// two IRQ probes (the audit's start and end), with the NIC's NUMA node and its CPUs, so a reader
// sees where packets were handled. Null on hosts without NIC queue IRQs.
#pragma once
#include "core/json.h"
#include "probes/snapshot.h"

namespace tunectl {

// {"nic", "numa_node", "node_cpus", "cpus", "irqs": [{irq, name, queue, kind, counts_before,
// counts_after, delta}]} for the first NIC with queue IRQs, or null.
json irq_heatmap(const Snapshot& before, const Snapshot& after);

}  // namespace tunectl
