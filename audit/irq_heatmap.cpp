#include "audit/irq_heatmap.h"

namespace tunectl {
namespace {

const IrqInfo* find_irq(const Snapshot& s, int irq) {
  if (!s.irqs) return nullptr;
  for (const auto& i : *s.irqs)
    if (i.irq == irq) return &i;
  return nullptr;
}

}  // namespace

json irq_heatmap(const Snapshot& before, const Snapshot& after) {
  if (!after.nics || !after.irqs || !after.irq_count_cpus) return nullptr;
  for (const NicInfo& nic : *after.nics) {
    if (nic.irqs.empty()) continue;
    json rows = json::array();
    for (const NicIrq& q : nic.irqs) {
      const IrqInfo* a = find_irq(before, q.irq);
      const IrqInfo* b = find_irq(after, q.irq);
      if (!b) continue;
      // Dense here: the heatmap has a cell per CPU, and only a NIC's queue IRQs are drawn.
      const std::vector<uint64_t> before_counts = a ? a->counts.dense() : std::vector<uint64_t>{};
      const std::vector<uint64_t> after_counts = b->counts.dense();
      json delta = json::array();
      for (size_t c = 0; c < after_counts.size(); ++c) {
        const uint64_t was = a && c < before_counts.size() ? before_counts[c] : 0;
        delta.push_back(after_counts[c] >= was ? after_counts[c] - was : 0);  // a counter never goes back; a CPU hot-plug might
      }
      rows.push_back({{"irq", q.irq}, {"name", b->name}, {"queue", q.queue ? json(*q.queue) : json()}, {"kind", q.kind},
                      {"counts_before", a ? json(before_counts) : json()}, {"counts_after", after_counts}, {"delta", delta}});
    }
    if (rows.empty()) continue;
    json node_cpus = json::array();
    if (nic.numa_node && after.topology)
      for (int c : after.topology->node_cpus(*nic.numa_node)) node_cpus.push_back(c);
    return {{"nic", nic.name}, {"numa_node", nic.numa_node ? json(*nic.numa_node) : json()}, {"node_cpus", node_cpus},
            {"cpus", *after.irq_count_cpus}, {"irqs", rows}};
  }
  return nullptr;
}

}  // namespace tunectl
