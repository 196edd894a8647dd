// The nic area: registry entry (it reads the irq area's rows) and its `tunectl probe` section.
#include <set>

#include "probes/probe_area.h"
#include "probes/table_cells.h"

namespace tunectl {
namespace {

using Align = Table::Align;
using Cell = Table::Cell;

// One cell for a NIC's RPS or XPS queues: "off", one shared cpulist, or how many differ.
Cell queue_summary(const std::vector<QueueCpus>& queues) {
  std::set<std::string> lists;
  size_t set = 0, known = 0;
  for (const auto& q : queues) {
    if (!q.cpus) continue;
    ++known;
    lists.insert(*q.cpus);
    if (!q.cpus->empty()) ++set;
  }
  if (known == 0) return std::nullopt;
  if (set == 0) return std::string("off");
  if (lists.size() == 1 && set == known) return *lists.begin() + " (all " + std::to_string(known) + ")";
  return std::to_string(set) + "/" + std::to_string(known) + " queues set";
}

Cell channels_summary(const std::optional<EthtoolValues>& ch) {
  if (!ch) return std::nullopt;
  std::string s;
  for (const char* k : {"combined", "rx", "tx", "other"}) {
    auto cur = ch->find(k);
    auto max = ch->find(std::string(k) + "_max");
    if ((cur == ch->end() || cur->second == 0) && (max == ch->end() || max->second == 0)) continue;
    s += (s.empty() ? "" : " ") + std::string(k) + " " + (cur == ch->end() ? "?" : std::to_string(cur->second)) +
         "/" + (max == ch->end() ? "?" : std::to_string(max->second));
  }
  return s;
}

void print_nics(std::ostream& out, const Snapshot& snap) {
  Table t({{"NAME"}, {"DRIVER"}, {"PCI"}, {"NODE", Align::Right}, {"MTU", Align::Right}, {"STATE"},
           {"RX/TX Q", Align::Right}, {"RPS"}, {"XPS"}, {"CHANNELS cur/max"}, {"IRQS", Align::Right}});
  for (const auto& n : *snap.nics) {
    Cell driver = n.is_virtual && !n.driver ? Cell("(virtual)") : n.driver;
    t.add_row({n.name, driver, n.pci, opt_num(n.numa_node), opt_num(n.mtu), n.operstate,
               std::to_string(n.rx_queues) + "/" + std::to_string(n.tx_queues), queue_summary(n.rps),
               queue_summary(n.xps), channels_summary(n.channels), std::to_string(n.irqs.size())});
  }
  t.print(out, "  ");
}

}  // namespace

ProbeArea probe_area_nic() {
  ProbeArea a = member_area(&Snapshot::nics, "nic", "nics", "NICs");
  a.inputs = {"irq"};  // queue -> IRQ maps are built from the IRQ rows
  // Placement (numa_node, local_cpulist, msi_irqs/) is read through the device symlink.
  a.kernel_files = {"/sys/class/net/<IF>/ifindex",
                    "/sys/class/net/<IF>/mtu",
                    "/sys/class/net/<IF>/operstate",
                    "/sys/class/net/<IF>/queues/rx-<N>/rps_cpus",
                    "/sys/class/net/<IF>/queues/rx-<N>/rps_flow_cnt",
                    "/sys/class/net/<IF>/queues/tx-<N>/xps_cpus"};
  a.probe = [](const Host& host, Snapshot& s, ProbeErrors& errors, const AwaitInputs& await_inputs) {
    static const std::vector<IrqInfo> no_irqs;  // the irq area failed: NICs without their IRQs
    s.nics = probe_nics(host, [&]() -> const std::vector<IrqInfo>& {
      await_inputs();
      return s.irqs ? *s.irqs : no_irqs;
    }, errors);
  };
  a.print_table = print_nics;
  return a;
}

}  // namespace tunectl
