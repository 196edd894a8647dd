#include "probes/thp.h"

#include "probes/cmdline.h"
#include "core/errors.h"
#include "core/read_field.h"

namespace tunectl {
namespace {

const std::string kThpDir = "/sys/kernel/mm/transparent_hugepage";

// hugepages-<N>kB directories (multi-size THP, 6.8+): per size, the anon and shmem modes.
void probe_sizes(const Host& host, Thp& t, ProbeErrors& errors) {
  const std::string prefix = "hugepages-";
  for (const auto& name : host.list(kThpDir)) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string size = name.substr(prefix.size());
    const std::string dir = kThpDir + "/" + name;
    // Sizes below the anon minimum (e.g. 8kB) exist for shmem only and have no "enabled".
    if (auto mode = read_choice_field(host, dir + "/enabled", errors, Presence::kOptional))
      t.sizes[size] = *mode;
    if (auto mode = read_choice_field(host, dir + "/shmem_enabled", errors, Presence::kOptional))
      t.shmem_sizes[size] = *mode;
  }
}

void probe_khugepaged(const Host& host, Thp& t, ProbeErrors& errors) {
  const std::string dir = kThpDir + "/khugepaged";
  for (const auto& name : host.list(dir))
    if (auto v = read_int_field(host, dir + "/" + name, errors)) t.khugepaged[name] = *v;
}

}  // namespace

Thp probe_thp(const Host& host, ProbeErrors& errors) {
  if (!host.is_dir(kThpDir))
    throw Error(kThpDir + " is missing: kernel built without CONFIG_TRANSPARENT_HUGEPAGE");
  Thp t;
  t.enabled = read_choice_field(host, kThpDir + "/enabled", errors);
  t.defrag = read_choice_field(host, kThpDir + "/defrag", errors);
  t.shmem_enabled = read_choice_field(host, kThpDir + "/shmem_enabled", errors, Presence::kOptional);
  if (auto v = read_int_field(host, kThpDir + "/use_zero_page", errors)) t.use_zero_page = *v != 0;
  t.hpage_pmd_size = read_int_field(host, kThpDir + "/hpage_pmd_size", errors);
  probe_khugepaged(host, t, errors);
  probe_sizes(host, t, errors);

  if (auto text = read_field(host, "/proc/meminfo", errors)) {
    auto mem = parse_meminfo(*text);
    auto get = [&](const char* key) -> std::optional<int64_t> {
      if (!mem.count(key)) return std::nullopt;
      return mem[key];
    };
    t.anon_huge_kb = get("AnonHugePages");
    t.shmem_huge_kb = get("ShmemHugePages");
    t.file_huge_kb = get("FileHugePages");
    if (!t.anon_huge_kb) errors.push_back("/proc/meminfo: no AnonHugePages line");
  }
  if (auto text = read_field(host, "/proc/vmstat", errors)) {
    for (const auto& [key, value] : parse_key_values(*text).values)
      if (key.compare(0, 4, "thp_") == 0) t.vmstat[key] = value;
  }
  if (auto text = read_field(host, "/proc/cmdline", errors)) {
    auto params = parse_kernel_cmdline(*text);
    if (params.count("transparent_hugepage")) t.boot_param = params["transparent_hugepage"];
  }
  return t;
}

}  // namespace tunectl
