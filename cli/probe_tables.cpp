// Human output of `tunectl probe`: one section per probed area, aligned tables, and for an area
// that could not be read, its reason. Field meanings follow the snapshot (probes/*.h).
#include "cli/probe_tables.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "core/parse.h"
#include "core/table.h"

namespace tunectl::cli {
namespace {

using Align = Table::Align;
using Cell = Table::Cell;
constexpr size_t kMaxErrorsShown = 10;
const char* const kUnknown = "\u2014";  // "—": a yes/no question with no answer

template <class T>
Cell opt_num(const std::optional<T>& v) {
  return v ? Cell(std::to_string(*v)) : std::nullopt;
}

std::string decimal(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string or_none(const std::string& cpulist) { return cpulist.empty() ? "none" : cpulist; }

CpuSet cpus_of(const std::optional<std::string>& cpulist) {
  if (!cpulist) return {};
  return parse_cpulist(*cpulist).value.value_or(CpuSet{});
}

// Section heading; returns false (after printing the reason) when the area has no data.
template <class T>
bool heading(std::ostream& out, const Snapshot& snap, const std::string& area, const std::string& title,
             const std::optional<T>& value) {
  if (!value && !snap.unavailable.count(area)) return false;  // not probed
  out << "\n" << title << "\n";
  if (!value) {
    out << "  unavailable: " << snap.unavailable.at(area) << "\n";
    return false;
  }
  return true;
}

void print_errors(std::ostream& out, const Snapshot& snap, const std::string& area) {
  auto it = snap.errors.find(area);
  if (it == snap.errors.end() || it->second.empty()) return;
  out << "  errors (" << it->second.size() << "):\n";
  for (size_t i = 0; i < it->second.size() && i < kMaxErrorsShown; ++i) out << "    " << it->second[i] << "\n";
  if (it->second.size() > kMaxErrorsShown) out << "    ... " << it->second.size() - kMaxErrorsShown << " more\n";
}

void print_topology(std::ostream& out, const Snapshot& snap) {
  if (!heading(out, snap, "topology", "Topology", snap.topology)) return print_errors(out, snap, "topology");
  const Topology& t = *snap.topology;
  std::set<int> packages;
  std::set<std::pair<int, int>> cores;
  size_t online = 0;
  for (const auto& c : t.cpus) {
    if (c.online) ++online;
    if (c.package) packages.insert(*c.package);
    if (c.package && c.core) cores.insert({*c.package, *c.core});
  }
  out << "  CPUs: " << online << " online (" << or_none(t.online) << ") of " << t.cpus.size() << ", "
      << packages.size() << " package(s), " << cores.size() << " core(s), " << t.nodes.size() << " NUMA node(s)"
      << (t.virtualized ? ", virtualized" + (t.hypervisor ? " (" + *t.hypervisor + ")" : std::string()) : "") << "\n";
  out << "  isolated: " << or_none(t.isolated) << "   nohz_full: " << or_none(t.nohz_full) << "\n";
  if (!t.cmdline.empty()) {
    out << "  boot flags:";
    for (const auto& [k, v] : t.cmdline) out << " " << k << "=" << v;
    out << "\n";
  }
  Table nodes({{"NODE", Align::Right}, {"CPUS"}, {"MEM TOTAL MiB", Align::Right}, {"MEM FREE MiB", Align::Right},
               {"DISTANCES"}});
  for (const auto& n : t.nodes) {
    std::string dist;
    for (int d : n.distances) dist += (dist.empty() ? "" : " ") + std::to_string(d);
    auto mib = [](const std::optional<int64_t>& kb) { return kb ? Cell(std::to_string(*kb / 1024)) : std::nullopt; };
    nodes.add_row({std::to_string(n.node), or_none(n.cpus), mib(n.mem_total_kb), mib(n.mem_free_kb), dist});
  }
  nodes.print(out, "  ");
  print_errors(out, snap, "topology");
}

// Whether an IRQ's CPUs (effective, else requested) sit inside the NIC's local node.
std::string on_local_node(const IrqInfo& irq, const NicInfo& nic, const Snapshot& snap) {
  if (!nic.numa_node || *nic.numa_node < 0) return kUnknown;
  CpuSet local = cpus_of(nic.local_cpus);
  if (local.empty() && snap.topology) local = snap.topology->node_cpus(*nic.numa_node);
  CpuSet where = cpus_of(irq.effective_affinity);
  if (where.empty()) where = cpus_of(irq.affinity);
  if (local.empty() || where.empty()) return kUnknown;
  return std::includes(local.begin(), local.end(), where.begin(), where.end()) ? "yes" : "no";
}

void print_irqs(std::ostream& out, const Snapshot& snap) {
  if (!heading(out, snap, "irq", "IRQs by NIC", snap.irqs)) return print_errors(out, snap, "irq");
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
    uint64_t total = 0;
    for (auto c : irq.counts) total += c;
    other.add_row({std::to_string(irq.irq), irq.name, irq.chip, irq.affinity, irq.effective_affinity,
                   irq.managed ? "yes" : "no", std::to_string(total)});
  }
  if (other.rows())
    other.print(out, "  ");
  else
    out << "  none\n";
  print_errors(out, snap, "irq");
}

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
  if (!heading(out, snap, "nic", "NICs", snap.nics)) return print_errors(out, snap, "nic");
  Table t({{"NAME"}, {"DRIVER"}, {"PCI"}, {"NODE", Align::Right}, {"MTU", Align::Right}, {"STATE"},
           {"RX/TX Q", Align::Right}, {"RPS"}, {"XPS"}, {"CHANNELS cur/max"}, {"IRQS", Align::Right}});
  for (const auto& n : *snap.nics) {
    Cell driver = n.is_virtual && !n.driver ? Cell("(virtual)") : n.driver;
    t.add_row({n.name, driver, n.pci, opt_num(n.numa_node), opt_num(n.mtu), n.operstate,
               std::to_string(n.rx_queues) + "/" + std::to_string(n.tx_queues), queue_summary(n.rps),
               queue_summary(n.xps), channels_summary(n.channels), std::to_string(n.irqs.size())});
  }
  t.print(out, "  ");
  print_errors(out, snap, "nic");
}

void print_thp(std::ostream& out, const Snapshot& snap) {
  if (!heading(out, snap, "thp", "Transparent huge pages", snap.thp)) return print_errors(out, snap, "thp");
  const Thp& t = *snap.thp;
  Table s({{"SETTING"}, {"VALUE"}});
  s.add_row({"enabled", t.enabled});
  s.add_row({"defrag", t.defrag});
  s.add_row({"shmem_enabled", t.shmem_enabled});
  s.add_row({"use_zero_page", t.use_zero_page ? Cell(*t.use_zero_page ? "yes" : "no") : std::nullopt});
  s.add_row({"hpage_pmd_size", opt_num(t.hpage_pmd_size)});
  s.add_row({"boot parameter", t.boot_param});
  if (!t.sizes.empty()) {
    // Grouped by mode ("inherit: 2048kB; never: 16kB 32kB ..."): eight sizes stay one short cell.
    std::map<std::string, std::vector<std::string>> by_mode;
    for (const auto& [size, mode] : t.sizes) by_mode[mode].push_back(size);
    std::string sizes;
    for (auto& [mode, list] : by_mode) {
      std::sort(list.begin(), list.end(), natural_less);
      sizes += (sizes.empty() ? "" : "; ") + mode + ":";
      for (const auto& size : list) sizes += " " + size;
    }
    s.add_row({"per-size (mTHP)", sizes});
  }
  s.add_row({"AnonHugePages kB", opt_num(t.anon_huge_kb)});
  for (const auto& [k, v] : t.khugepaged) s.add_row({"khugepaged/" + k, std::to_string(v)});
  // Dozens of thp_* counters exist; zeros say nothing except for the two that show THP is used.
  for (const auto& [k, v] : t.vmstat)
    if (v != 0 || k == "thp_fault_alloc" || k == "thp_fault_fallback") s.add_row({k, std::to_string(v)});
  s.print(out, "  ");
  print_errors(out, snap, "thp");
}

void print_tcp(std::ostream& out, const Snapshot& snap) {
  if (!heading(out, snap, "tcp", "TCP", snap.tcp)) return print_errors(out, snap, "tcp");
  const Tcp& t = *snap.tcp;
  out << "  network namespace: " << t.netns.value_or("unknown") << " (all values below are per namespace)\n";
  Table sysctls({{"SYSCTL"}, {"VALUE"}});
  for (const auto& name : tcp_sysctl_names()) {
    auto it = t.sysctls.find(name);
    if (it == t.sysctls.end()) continue;
    const json& v = it->second;
    sysctls.add_row({name, v.is_null() ? std::nullopt : Cell(v.is_string() ? v.get<std::string>() : v.dump())});
  }
  sysctls.print(out, "  ");
  out << "  sockstat:";
  for (const char* k : {"inuse", "orphan", "tw", "alloc", "mem"})
    if (auto it = t.sockstat.find(k); it != t.sockstat.end()) out << " " << k << " " << it->second;
  out << "\n";
  if (t.sockets) {
    out << "  sockets (sock_diag): " << t.sockets->total << " total, " << t.sockets->keepalive_timers
        << " with a keepalive timer armed\n";
    Table states({{"STATE"}, {"COUNT", Align::Right}});
    for (const auto& [state, n] : t.sockets->by_state)
      if (n) states.add_row({state, std::to_string(n)});
    if (states.rows()) states.print(out, "  ");
  } else {
    out << "  sockets: unavailable: " << t.sockets_unavailable.value_or("unknown") << "\n";
  }
  if (!t.counters.empty()) {
    Table counters({{"TcpExt COUNTER"}, {"VALUE", Align::Right}});
    for (const auto& name : tcp_counter_names())
      if (auto it = t.counters.find(name); it != t.counters.end()) counters.add_row({name, std::to_string(it->second)});
    counters.print(out, "  ");
  }
  print_errors(out, snap, "tcp");
}

Cell throttled_percent(const std::optional<CpuStat>& stat) {
  if (!stat || !stat->nr_periods || !stat->nr_throttled || *stat->nr_periods <= 0) return std::nullopt;
  return decimal(100.0 * static_cast<double>(*stat->nr_throttled) / static_cast<double>(*stat->nr_periods), 1) + "%";
}

void print_cgroups(std::ostream& out, const Snapshot& snap) {
  if (!heading(out, snap, "cgroup", "cgroups", snap.cgroups)) return print_errors(out, snap, "cgroup");
  const Cgroups& c = *snap.cgroups;
  out << "  mode: " << c.mode << "   cpu controller: " << c.cpu_controller.value_or("none")
      << "   cpuset controller: " << c.cpuset_controller.value_or("none") << "\n";
  // PATH last: container paths run to 200 characters and would push every other column away.
  Table t({{"VER"}, {"QUOTA (cpu.max)"}, {"WEIGHT", Align::Right}, {"CPUSET"}, {"EFFECTIVE CPUS", Align::Right},
           {"PERIODS", Align::Right}, {"THROTTLED", Align::Right}, {"PATH"}});
  for (const auto& g : c.groups) {
    t.add_row({g.version, g.cpu_max, opt_num(g.cpu_weight), g.cpuset_cpus_effective,
               g.effective_cpus ? Cell(decimal(*g.effective_cpus, 2)) : std::nullopt,
               g.stat ? opt_num(g.stat->nr_periods) : std::nullopt, throttled_percent(g.stat), g.path});
  }
  t.print(out, "  ");
  print_errors(out, snap, "cgroup");
}

}  // namespace

void print_probe_tables(std::ostream& out, const Snapshot& snap) {
  out << "host " << (snap.host.hostname.empty() ? "?" : snap.host.hostname) << ", kernel "
      << (snap.host.kernel.empty() ? "?" : snap.host.kernel) << ", root " << snap.host.root << ", taken "
      << snap.host.taken_at << "\n";
  print_topology(out, snap);
  print_irqs(out, snap);
  print_nics(out, snap);
  print_thp(out, snap);
  print_tcp(out, snap);
  print_cgroups(out, snap);
}

}  // namespace tunectl::cli
