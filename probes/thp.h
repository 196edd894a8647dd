// Transparent Huge Pages: modes, khugepaged, per-size mTHP, usage and vmstat counters.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/host.h"
#include "core/json.h"

namespace tunectl {

struct Thp {
  std::optional<std::string> enabled, defrag, shmem_enabled;  // the bracketed choice
  std::optional<bool> use_zero_page;
  std::optional<int64_t> hpage_pmd_size;
  std::map<std::string, int64_t> khugepaged;   // defrag, max_ptes_none, pages_collapsed, ...
  std::map<std::string, std::string> sizes;    // "64kB" -> "never" / "inherit" / ...
  std::map<std::string, std::string> shmem_sizes;  // hugepages-*kB/shmem_enabled per size
  std::optional<int64_t> anon_huge_kb, shmem_huge_kb, file_huge_kb;
  std::map<std::string, int64_t> vmstat;       // thp_* counters
  std::optional<std::string> boot_param;       // transparent_hugepage= on the cmdline
};

Thp probe_thp(const Host& host, ProbeErrors& errors);

// JSON both ways; a missing key keeps the default (older snapshots still load).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Thp, enabled, defrag, shmem_enabled, use_zero_page, hpage_pmd_size, khugepaged, sizes, shmem_sizes, anon_huge_kb, shmem_huge_kb, file_huge_kb, vmstat, boot_param)

}  // namespace tunectl
