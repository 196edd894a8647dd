#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/errors.h"
#include "probes/snapshot.h"
#include "probes/thp.h"
#include "tests/unit/test_helpers.h"

using namespace tunectl;
using tunectl::test::TempTree;

namespace {

const std::string kThp = "sys/kernel/mm/transparent_hugepage/";

bool has_error(const ProbeErrors& errors, const std::string& needle) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(needle) != std::string::npos; });
}

// Byte for byte what this VM's 6.18 kernel shows (values changed where a test needs them).
void write_thp_host(const TempTree& t) {
  t.write(kThp + "enabled", "always [madvise] never\n");
  t.write(kThp + "defrag", "always defer defer+madvise [madvise] never\n");
  t.write(kThp + "shmem_enabled", "always within_size advise [never] deny force\n");
  t.write(kThp + "use_zero_page", "1\n");
  t.write(kThp + "hpage_pmd_size", "2097152\n");
  t.write(kThp + "khugepaged/alloc_sleep_millisecs", "60000\n");
  t.write(kThp + "khugepaged/defrag", "1\n");
  t.write(kThp + "khugepaged/full_scans", "12\n");
  t.write(kThp + "khugepaged/max_ptes_none", "511\n");
  t.write(kThp + "khugepaged/pages_collapsed", "345\n");
  t.write(kThp + "khugepaged/pages_to_scan", "4096\n");
  t.write(kThp + "hugepages-2048kB/enabled", "always [inherit] madvise never\n");
  t.write(kThp + "hugepages-2048kB/shmem_enabled", "always inherit within_size advise [never]\n");
  t.write(kThp + "hugepages-64kB/enabled", "always inherit [madvise] never\n");
  t.write(kThp + "hugepages-64kB/shmem_enabled", "always [inherit] within_size advise never\n");
  t.write(kThp + "hugepages-8kB/shmem_enabled", "always inherit within_size advise [never]\n");  // shmem-only size
  t.write(kThp + "hugepages-8kB/stats/split", "0\n");
  t.write("proc/meminfo",
          "MemTotal:        4810964 kB\nMemFree:         4559352 kB\nAnonHugePages:      6144 kB\n"
          "ShmemHugePages:        0 kB\nFileHugePages:      2048 kB\nHugePages_Total:       0\n");
  t.write("proc/vmstat",
          "nr_free_pages 1139838\nthp_migration_success 0\nthp_fault_alloc 17\nthp_fault_fallback 3\n"
          "thp_collapse_alloc 2\nthp_split_pmd 5\nthp_swpout 0\nballoon_inflate 0\n");
  t.write("proc/cmdline", "console=ttyS0 transparent_hugepage=madvise quiet\n");
}

}  // namespace

TEST(Thp, ReadsModesKhugepagedSizesUsageCountersAndBootParam) {
  TempTree t;
  write_thp_host(t);
  ProbeErrors errors;
  Thp thp = probe_thp(Host(t.path()), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_EQ(thp.enabled, "madvise");
  EXPECT_EQ(thp.defrag, "madvise");
  EXPECT_EQ(thp.shmem_enabled, "never");
  EXPECT_EQ(thp.use_zero_page, true);
  EXPECT_EQ(thp.hpage_pmd_size, 2097152);
  EXPECT_EQ(thp.khugepaged.size(), 6u);
  EXPECT_EQ(thp.khugepaged.at("pages_collapsed"), 345);
  EXPECT_EQ(thp.khugepaged.at("max_ptes_none"), 511);
  EXPECT_EQ(thp.sizes, (std::map<std::string, std::string>{{"2048kB", "inherit"}, {"64kB", "madvise"}}));
  EXPECT_EQ(thp.shmem_sizes,
            (std::map<std::string, std::string>{{"2048kB", "never"}, {"64kB", "inherit"}, {"8kB", "never"}}));
  EXPECT_EQ(thp.anon_huge_kb, 6144);
  EXPECT_EQ(thp.shmem_huge_kb, 0);
  EXPECT_EQ(thp.file_huge_kb, 2048);
  EXPECT_EQ(thp.vmstat.size(), 6u);  // thp_* only
  EXPECT_EQ(thp.vmstat.at("thp_fault_alloc"), 17);
  EXPECT_EQ(thp.vmstat.at("thp_split_pmd"), 5);
  EXPECT_EQ(thp.boot_param, "madvise");

  json j = thp;
  EXPECT_EQ(j["sizes"]["64kB"], "madvise");
  EXPECT_EQ(json(j.get<Thp>()), j);
}

TEST(Thp, OldKernelWithoutMthpOrFileHugePages) {
  TempTree t;
  write_thp_host(t);
  for (const char* d : {"hugepages-2048kB", "hugepages-64kB", "hugepages-8kB"})
    std::filesystem::remove_all(t.path() + "/" + kThp + d);
  t.write("proc/meminfo", "MemTotal:        4810964 kB\nAnonHugePages:         0 kB\nShmemHugePages:        0 kB\n");
  t.write("proc/cmdline", "ro quiet\n");
  ProbeErrors errors;
  Thp thp = probe_thp(Host(t.path()), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_TRUE(thp.sizes.empty());
  EXPECT_EQ(thp.file_huge_kb, std::nullopt);
  EXPECT_EQ(thp.anon_huge_kb, 0);
  EXPECT_EQ(thp.boot_param, std::nullopt);
}

TEST(Thp, KernelWithoutThpIsUnavailableWithReason) {
  TempTree t;
  t.write("proc/meminfo", "MemTotal:        4810964 kB\n");
  EXPECT_THROW(
      {
        ProbeErrors errors;
        probe_thp(Host(t.path()), errors);
      },
      Error);
  Snapshot s = take_snapshot(Host(t.path()), {"thp"});
  EXPECT_FALSE(s.thp.has_value());
  EXPECT_NE(s.unavailable.at("thp").find("CONFIG_TRANSPARENT_HUGEPAGE"), std::string::npos);
  EXPECT_EQ(json(s)["thp"], nullptr);
}

TEST(Thp, MalformedFilesBecomePerFieldErrors) {
  TempTree t;
  write_thp_host(t);
  t.write(kThp + "enabled", "always madvise never\n");      // nothing selected
  t.write(kThp + "defrag", "always [defer [madvise] never\n");  // broken brackets
  t.write(kThp + "use_zero_page", "");                        // truncated
  t.write(kThp + "khugepaged/pages_to_scan", "lots\n");
  std::filesystem::remove(t.path() + "/" + kThp + "hpage_pmd_size");
  t.write(kThp + "hpage_pmd_size/x", "");                     // a directory: EISDIR
  std::filesystem::remove(t.path() + "/proc/meminfo");

  ProbeErrors errors;
  Thp thp = probe_thp(Host(t.path()), errors);
  EXPECT_TRUE(has_error(errors, "/sys/kernel/mm/transparent_hugepage/enabled: no bracketed choice"))
      << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, "/sys/kernel/mm/transparent_hugepage/defrag: bad choices"));
  EXPECT_TRUE(has_error(errors, "/sys/kernel/mm/transparent_hugepage/use_zero_page: not an integer"));
  EXPECT_TRUE(has_error(errors, "/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan: not an integer"));
  EXPECT_TRUE(has_error(errors, "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size: Is a directory"));
  EXPECT_TRUE(has_error(errors, "/proc/meminfo: No such file"));
  EXPECT_EQ(errors.size(), 6u) << ::testing::PrintToString(errors);
  EXPECT_EQ(thp.enabled, std::nullopt);
  EXPECT_EQ(thp.defrag, std::nullopt);
  EXPECT_EQ(thp.use_zero_page, std::nullopt);
  EXPECT_EQ(thp.hpage_pmd_size, std::nullopt);
  EXPECT_EQ(thp.khugepaged.count("pages_to_scan"), 0u);
  EXPECT_EQ(thp.khugepaged.at("pages_collapsed"), 345);  // the rest still read
  EXPECT_EQ(thp.shmem_enabled, "never");
  EXPECT_EQ(thp.anon_huge_kb, std::nullopt);
  EXPECT_EQ(thp.vmstat.at("thp_fault_alloc"), 17);
}

TEST(ThpFixture, MetalAlwaysWithMthp) {
  const std::string root = tunectl::test::fixture_host("metal-2s-mlx5-k8s");
  ASSERT_TRUE(Host("/").is_dir(root + "/sys/kernel/mm/transparent_hugepage")) << "fixture tree missing: " << root;
  ProbeErrors errors;
  Thp thp = probe_thp(Host(root), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_EQ(thp.enabled, "always");
  EXPECT_EQ(thp.defrag, "madvise");
  EXPECT_EQ(thp.boot_param, "always");
  EXPECT_EQ(thp.anon_huge_kb, 18874368);
  EXPECT_EQ(thp.khugepaged.at("pages_collapsed"), 48211);
  EXPECT_EQ(thp.sizes.size(), 8u);
  EXPECT_EQ(thp.sizes.at("2048kB"), "inherit");
  EXPECT_EQ(thp.vmstat.at("thp_fault_alloc"), 29739);
}

TEST(ThpFixture, RhelEightBootedWithThpNever) {
  const std::string root = tunectl::test::fixture_host("intel-i40e-cgv1");
  ASSERT_TRUE(Host("/").is_dir(root + "/sys/kernel/mm/transparent_hugepage")) << "fixture tree missing: " << root;
  ProbeErrors errors;
  Thp thp = probe_thp(Host(root), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_EQ(thp.enabled, "never");
  EXPECT_EQ(thp.boot_param, "never");
  EXPECT_TRUE(thp.sizes.empty());             // 4.18: no multi-size THP
  EXPECT_EQ(thp.file_huge_kb, std::nullopt);  // 4.18: no FileHugePages line
  EXPECT_EQ(thp.anon_huge_kb, 0);
}

TEST(ThpFixture, EveryFixtureProbesWithoutErrors) {
  for (const char* name : {"vm", "metal-2s-mlx5-k8s", "intel-i40e-cgv1", "cloud-ena"}) {
    const std::string root = tunectl::test::fixture_host(name);
    ASSERT_TRUE(Host("/").is_dir(root + "/sys/kernel/mm/transparent_hugepage")) << "fixture tree missing: " << root;
    ProbeErrors errors;
    Thp thp = probe_thp(Host(root), errors);
    EXPECT_TRUE(errors.empty()) << name << ": " << ::testing::PrintToString(errors);
    EXPECT_TRUE(thp.enabled && thp.defrag && thp.anon_huge_kb) << name;
    EXPECT_FALSE(thp.khugepaged.empty()) << name;
  }
}
