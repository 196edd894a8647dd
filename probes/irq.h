// Interrupts: every IRQ with its requested and effective affinity, counts and manageability.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"

namespace tunectl {

// One IRQ's per-CPU interrupt counts, sparse: only the columns (positions in Irqs::count_cpus) with
// a non-zero count. A 1024-CPU host with 4096 IRQs held a 32 MB dense matrix of mostly zeros.
struct CpuCounts {
  struct Entry {
    uint32_t column = 0;
    uint64_t count = 0;  // never 0
    bool operator==(const Entry& o) const { return column == o.column && count == o.count; }
  };
  size_t columns = 0;          // how many columns the IRQ has (0: its counts were not read)
  std::vector<Entry> nonzero;  // ascending column

  static CpuCounts from_dense(const std::vector<uint64_t>& dense);
  std::vector<uint64_t> dense() const;  // one count per column, zeros included
  uint64_t total() const;
  bool operator==(const CpuCounts& o) const { return columns == o.columns && nonzero == o.nonzero; }
  bool operator!=(const CpuCounts& o) const { return !(*this == o); }
};

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
  // Per CPU, in CPU order of /proc/interrupts' columns (Irqs::count_cpus), sparse in memory too;
  // the snapshot JSON writes them as {"<cpu>": count} or the full array (probes/irq_area.cpp).
  CpuCounts counts;
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
