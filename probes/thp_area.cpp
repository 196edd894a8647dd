// The thp area: registry entry and its `tunectl probe` section.
#include <algorithm>
#include <map>

#include "probes/probe_area.h"
#include "probes/table_cells.h"

namespace tunectl {
namespace {

using Cell = Table::Cell;

void print_thp(std::ostream& out, const Snapshot& snap) {
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
}

}  // namespace

ProbeArea probe_area_thp() {
  ProbeArea a = member_area(&Snapshot::thp, "thp", "thp", "Transparent huge pages");
  a.kernel_files = {"/sys/kernel/mm/transparent_hugepage/enabled",
                    "/sys/kernel/mm/transparent_hugepage/defrag",
                    "/sys/kernel/mm/transparent_hugepage/shmem_enabled",
                    "/sys/kernel/mm/transparent_hugepage/use_zero_page",
                    "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
                    "/proc/meminfo",
                    "/proc/vmstat",
                    "/proc/cmdline",
                    "/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan",
                    "/sys/kernel/mm/transparent_hugepage/hugepages-<N>kB/enabled",
                    "/sys/kernel/mm/transparent_hugepage/hugepages-<N>kB/shmem_enabled"};
  a.probe = [](const Host& host, Snapshot& s, ProbeErrors& errors, const AwaitInputs&) {
    s.thp = probe_thp(host, errors);
  };
  a.print_table = print_thp;
  return a;
}

}  // namespace tunectl
