// The topology area: registry entry and its `tunectl probe` section.
#include <set>

#include "probes/probe_area.h"
#include "probes/table_cells.h"

namespace tunectl {
namespace {

using Align = Table::Align;
using Cell = Table::Cell;

void print_topology(std::ostream& out, const Snapshot& snap) {
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
}

}  // namespace

ProbeArea probe_area_topology() {
  ProbeArea a = member_area(&Snapshot::topology, "topology", "topology", "Topology");
  a.kernel_files = {"/sys/devices/system/cpu/online",
                    "/sys/devices/system/cpu/cpu<N>/topology/core_id",
                    "/sys/devices/system/cpu/cpu<N>/topology/physical_package_id",
                    "/sys/devices/system/cpu/cpu<N>/topology/thread_siblings_list",
                    "/sys/devices/system/node/node<N>/cpulist",
                    "/sys/devices/system/node/node<N>/meminfo",
                    "/sys/devices/system/node/node<N>/distance",
                    "/proc/cmdline",
                    "/proc/cpuinfo",
                    "/sys/devices/system/cpu/possible",
                    "/sys/devices/system/cpu/isolated",
                    "/sys/devices/system/cpu/nohz_full",
                    "/sys/devices/system/cpu/cpu<N>/online",
                    "/sys/devices/system/cpu/cpu<N>/topology/die_id",
                    "/sys/devices/system/cpu/cpu<N>/topology/cluster_id",
                    "/sys/devices/system/cpu/cpu<N>/topology/core_cpus_list",
                    "/proc/meminfo",
                    "/sys/hypervisor/type"};
  a.probe = [](const Host& host, Snapshot& s, ProbeErrors& errors, const AwaitInputs&) {
    s.topology = probe_topology(host, errors);
  };
  a.print_table = print_topology;
  return a;
}

}  // namespace tunectl
