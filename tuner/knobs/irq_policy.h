// IRQ placement policies -> per-IRQ affinities, computed from a snapshot's topology and each NIC's
// NUMA node. Deterministic: the same snapshot and policy always give the same map.
//   numa-local  each selected NIC's queue IRQs on CPUs of the NIC's NUMA node; with one_per_core
//               queue q goes to the q-th CPU of that pool (wrapping), else to the whole pool
//   spread      all selected NICs' queue IRQs round-robin over the whole pool, one CPU each
//   pin         explicit map: "<irq>" or "<nic>:<queue>" -> cpulist
// The pool is cpu_pool(cpus, exclude_isolated); avoid_smt_siblings keeps one thread per core.
// Only queue IRQs (rx, tx, txrx) are placed; a NIC's control IRQs are left alone.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "probes/snapshot.h"

namespace tunectl {

struct IrqAssignment {
  int irq = 0;
  std::string nic;
  std::optional<int> queue;
  std::string kind;
  std::string cpus;         // desired cpulist; empty when skipped
  std::string skip_reason;  // why this IRQ is not placed (managed, no CPU on its node)
};

struct IrqPlacement {
  std::vector<IrqAssignment> assignments;  // ordered by NIC, queue, IRQ (pin: map order)
  std::vector<std::string> notes;          // what the policy could not do ("no NIC matches ..."): plan warnings
};

// `policy` is the canonical irq section of a profile. Needs snap.topology, snap.nics, snap.irqs;
// a missing area becomes a note and no assignments.
IrqPlacement place_irqs(const json& policy, const Snapshot& snap);

}  // namespace tunectl
