// Interrupts: every IRQ with its requested and effective affinity, counts and manageability.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"

namespace tunectl {

struct IrqInfo {
  int irq = 0;
  std::string name;                   // actions, e.g. "mlx5_comp3@pci:0000:3b:00.0"
  std::string chip;                   // "PCI-MSIX-0000:3b:00.0", "IR-PCI-MSI", "IO-APIC"
  std::optional<std::string> hwirq;
  std::optional<std::string> type;    // edge / level
  std::optional<std::string> affinity;            // cpulist (smp_affinity_list)
  std::optional<std::string> effective_affinity;  // cpulist
  std::optional<std::string> affinity_hint;       // cpulist ("" when no hint)
  std::optional<int> node;
  bool managed = false;               // affinity cannot be set (kernel-managed): irq_managed_reason
  std::optional<std::string> managed_reason;
  // Per CPU, in CPU order of /proc/interrupts' columns (Irqs::count_cpus). Always every column in
  // memory; the snapshot JSON writes them as {"<cpu>": count} (probes/irq_area.cpp).
  std::vector<uint64_t> counts;
  // The NIC queue this IRQ serves, when it is one (annotate_irq_queues, from the NIC probe's map).
  std::optional<std::string> nic;
  std::optional<int> queue;
  std::optional<std::string> kind;    // rx, tx, txrx, other
};

struct Irqs {
  std::vector<IrqInfo> irqs;
  std::vector<int> count_cpus;        // CPU number of each counts[] column
  std::optional<std::string> default_affinity;  // cpulist of /proc/irq/default_smp_affinity
};

Irqs probe_irqs(const Host& host, ProbeErrors& errors);

// Whether the kernel manages IRQ `irq`'s affinity (refuses every change: managed queue vectors),
// and why; nullopt when it is settable. The one decision for the irq probe and the irq knob:
// debugfs's IRQD_AFFINITY_MANAGED when debugfs is mounted, else a read-only smp_affinity or
// smp_affinity_list (procfs creates both without write bits for such IRQs).
std::optional<std::string> irq_managed_reason(const Host& host, int irq);

// JSON both ways, without counts: their form depends on the snapshot's column CPUs and
// IrqCounts (probes/irq_area.cpp). A missing key keeps the default (older snapshots still load).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(IrqInfo, irq, name, chip, hwirq, type, affinity, effective_affinity, affinity_hint, node, managed, managed_reason, nic, queue, kind)

}  // namespace tunectl
