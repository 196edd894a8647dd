// The irq area: registry entry (its JSON is "irqs" plus "irq_count_cpus" and "irq_counts") and its
// `tunectl probe` sections, IRQs grouped by NIC (from the nic area, when probed) and the other IRQs.
#include <algorithm>
#include <map>
#include <set>

#include "core/errors.h"
#include "core/parse.h"
#include "probes/probe_area.h"
#include "probes/table_cells.h"

namespace tunectl {
namespace {

using Align = Table::Align;

// Whether an IRQ's CPUs (effective, else requested) sit inside the NIC's local node.
std::string on_local_node(const IrqInfo& irq, const NicInfo& nic, const Snapshot& snap) {
  if (!nic.numa_node || *nic.numa_node < 0) return kUnknownCell;
  CpuSet local = cpus_of(nic.local_cpus);
  if (local.empty() && snap.topology) local = snap.topology->node_cpus(*nic.numa_node);
  CpuSet where = cpus_of(irq.effective_affinity);
  if (where.empty()) where = cpus_of(irq.affinity);
  if (local.empty() || where.empty()) return kUnknownCell;
  return std::includes(local.begin(), local.end(), where.begin(), where.end()) ? "yes" : "no";
}

void print_irqs(std::ostream& out, const Snapshot& snap) {
  std::map<int, const IrqInfo*> by_number;
  for (const auto& irq : *snap.irqs) by_number[irq.irq] = &irq;
  std::set<int> nic_irqs;
  Table grouped({{"NIC"}, {"IRQ", Align::Right}, {"QUEUE", Align::Right}, {"KIND"}, {"AFFINITY"}, {"EFFECTIVE"},
                 {"LOCAL NODE"}});
  for (const auto& nic : snap.nics.value_or(std::vector<NicInfo>{})) {
    bool first = true;
    for (const auto& ni : nic.irqs) {
      auto it = by_number.find(ni.irq);
      if (it == by_number.end()) continue;
      const IrqInfo& irq = *it->second;
      nic_irqs.insert(ni.irq);
      grouped.add_row({first ? nic.name : "", std::to_string(ni.irq), opt_num(ni.queue), ni.kind, irq.affinity,
                       irq.effective_affinity, on_local_node(irq, nic, snap)});
      first = false;
    }
  }
  if (grouped.rows())
    grouped.print(out, "  ");
  else
    out << "  no NIC IRQs" << (snap.nics ? "" : " (NICs not probed)") << "\n";

  out << "\nOther IRQs\n";
  Table other({{"IRQ", Align::Right}, {"NAME"}, {"CHIP"}, {"AFFINITY"}, {"EFFECTIVE"}, {"MANAGED"},
               {"COUNT", Align::Right}});
  for (const auto& irq : *snap.irqs) {
    if (nic_irqs.count(irq.irq)) continue;
    const uint64_t total = irq.counts.total();
    other.add_row({std::to_string(irq.irq), irq.name, irq.chip, irq.affinity, irq.effective_affinity,
                   irq.managed ? "yes" : "no", std::to_string(total)});
  }
  if (other.rows())
    other.print(out, "  ");
  else
    out << "  none\n";
}

const char* counts_form_name(IrqCounts form) { return form == IrqCounts::kFull ? "full" : "sparse"; }

// kSparse: {"<cpu>": count} of the CPUs with a non-zero count; kFull: the array, one entry per
// irq_count_cpus column (as snapshot/1 wrote it).
json counts_json(const CpuCounts& counts, const std::vector<int>& cpus, IrqCounts form) {
  if (form == IrqCounts::kFull) return counts.dense();
  json out = json::object();
  for (const auto& e : counts.nonzero)
    if (e.column < counts.columns && e.column < cpus.size()) out[std::to_string(cpus[e.column])] = e.count;
  return out;
}

// Either form back to counts by column; a CPU that is no column is an input error.
CpuCounts counts_from_json(const json& j, const std::vector<int>& cpus, size_t row) {
  if (j.is_array()) return CpuCounts::from_dense(j.get<std::vector<uint64_t>>());
  std::map<uint32_t, uint64_t> by_column;  // a later key naming the same CPU wins, as it did
  for (const auto& [key, value] : j.items()) {
    const auto cpu = parse_int(key);
    const auto col = cpu ? std::find(cpus.begin(), cpus.end(), *cpu) : cpus.end();
    if (col == cpus.end())
      throw InputError("irqs/" + std::to_string(row) + "/counts: CPU '" + key + "' is not in irq_count_cpus");
    by_column[static_cast<uint32_t>(col - cpus.begin())] = value.get<uint64_t>();
  }
  CpuCounts out;
  out.columns = cpus.size();
  for (const auto& [column, count] : by_column)
    if (count) out.nonzero.push_back({column, count});
  return out;
}

}  // namespace

ProbeArea probe_area_irq() {
  ProbeArea a = member_area(&Snapshot::irqs, "irq", "irqs", "IRQs by NIC");
  // /proc/interrupts is read only on kernels without /sys/kernel/irq.
  a.kernel_files = {"/proc/interrupts",
                    "/proc/irq/default_smp_affinity",
                    "/proc/irq/<N>/smp_affinity_list",
                    "/proc/irq/<N>/effective_affinity_list",
                    "/proc/irq/<N>/affinity_hint",
                    "/proc/irq/<N>/node",
                    "/proc/irq/<N>/smp_affinity",
                    "/proc/irq/<N>/effective_affinity",
                    "/sys/kernel/debug/irq/irqs/<N>",
                    "/sys/devices/system/cpu/possible",
                    "/sys/devices/system/cpu/online",
                    "/sys/kernel/irq/<N>/per_cpu_count",
                    "/sys/kernel/irq/<N>/actions",
                    "/sys/kernel/irq/<N>/chip_name",
                    "/sys/kernel/irq/<N>/hwirq",
                    "/sys/kernel/irq/<N>/type"};
  a.probe = [](const Host& host, Snapshot& s, ProbeErrors& errors, const AwaitInputs&) {
    Irqs irqs = probe_irqs(host, errors);
    s.irqs = std::move(irqs.irqs);
    s.irq_count_cpus = std::move(irqs.count_cpus);
  };
  // irq_count_cpus travels with the IRQ rows: their counts[] columns.
  a.clear = [](Snapshot& s) {
    s.irqs.reset();
    s.irq_count_cpus.reset();
  };
  a.to_json = [](json& j, const Snapshot& s) {
    static const std::vector<int> no_cpus;
    const std::vector<int>& cpus = s.irq_count_cpus ? *s.irq_count_cpus : no_cpus;
    json rows = json::array();
    for (const IrqInfo& irq : *s.irqs) {
      json row = irq;
      row["counts"] = counts_json(irq.counts, cpus, s.irq_counts);
      rows.push_back(std::move(row));
    }
    j["irqs"] = std::move(rows);
    if (s.irq_count_cpus) j["irq_count_cpus"] = *s.irq_count_cpus;
    j["irq_counts"] = counts_form_name(s.irq_counts);
  };
  a.from_json = [](const json& j, Snapshot& s) {
    if (j.contains("irq_count_cpus")) s.irq_count_cpus = j["irq_count_cpus"].get<std::vector<int>>();
    // snapshot/1 has no "irq_counts": its counts are the full arrays.
    s.irq_counts = j.value("irq_counts", "full") == "sparse" ? IrqCounts::kSparse : IrqCounts::kFull;
    const json& rows = j.at("irqs");
    s.irqs = rows.get<std::vector<IrqInfo>>();
    const std::vector<int> cpus = s.irq_count_cpus.value_or(std::vector<int>{});
    for (size_t i = 0; i < rows.size(); ++i)
      if (rows[i].contains("counts")) (*s.irqs)[i].counts = counts_from_json(rows[i]["counts"], cpus, i);
  };
  a.print_table = print_irqs;
  return a;
}

}  // namespace tunectl
