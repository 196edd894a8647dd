// The cgroup area: registry entry and its `tunectl probe` section.
#include "probes/probe_area.h"
#include "probes/table_cells.h"

namespace tunectl {
namespace {

using Align = Table::Align;
using Cell = Table::Cell;

Cell throttled_percent(const std::optional<CpuStat>& stat) {
  if (!stat || !stat->nr_periods || !stat->nr_throttled || *stat->nr_periods <= 0) return std::nullopt;
  return decimal(100.0 * static_cast<double>(*stat->nr_throttled) / static_cast<double>(*stat->nr_periods), 1) + "%";
}

void print_cgroups(std::ostream& out, const Snapshot& snap) {
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
}

}  // namespace

ProbeArea probe_area_cgroup() {
  ProbeArea a = member_area(&Snapshot::cgroups, "cgroup", "cgroups", "cgroups");
  // The hierarchies are wherever mountinfo says; these are the usual mount points.
  a.kernel_files = {"/proc/self/mountinfo",
                    "/sys/fs/cgroup/cgroup.controllers",
                    "/sys/fs/cgroup/cpu.max",
                    "/sys/fs/cgroup/cpu.stat",
                    "/sys/fs/cgroup/cpuset.cpus.effective",
                    "/sys/devices/system/cpu/online",
                    "/sys/fs/cgroup/<CG>/cpu.max",
                    "/sys/fs/cgroup/<CG>/cpu.max.burst",
                    "/sys/fs/cgroup/<CG>/cpu.weight",
                    "/sys/fs/cgroup/<CG>/cpu.stat",
                    "/sys/fs/cgroup/<CG>/cpuset.cpus",
                    "/sys/fs/cgroup/<CG>/cpuset.cpus.effective",
                    "/sys/fs/cgroup/cpu/<CG>/cpu.cfs_quota_us",
                    "/sys/fs/cgroup/cpu/<CG>/cpu.cfs_period_us",
                    "/sys/fs/cgroup/cpu/<CG>/cpu.cfs_burst_us",
                    "/sys/fs/cgroup/cpu/<CG>/cpu.shares",
                    "/sys/fs/cgroup/cpu/<CG>/cpu.stat",
                    "/sys/fs/cgroup/cpuset/<CG>/cpuset.cpus",
                    "/sys/fs/cgroup/cpuset/<CG>/cpuset.effective_cpus"};
  a.probe = [](const Host& host, Snapshot& s, ProbeErrors& errors, const AwaitInputs&) {
    s.cgroups = probe_cgroups(host, errors);
  };
  a.print_table = print_cgroups;
  return a;
}

}  // namespace tunectl
