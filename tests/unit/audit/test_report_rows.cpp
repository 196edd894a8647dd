// The settings rows' `observed`: what the benchmarks saw of a setting that acts only on new work.
#include <gtest/gtest.h>

#include "audit/report_rows.h"

namespace tunectl {
namespace {

json runs_with_thp(std::vector<int> kb) {
  json runs = json::array();
  for (int k : kb) runs.push_back({{"detail", {{"thp_kb_used", k}}}});
  return {{"runs", runs}};
}

TEST(AuditReportRows, ThpIsSeenInTheHugePagesEveryRecordingBenchmarkGot) {
  const json benchmarks = json::array(
      {{{"bench", "page_fault"}, {"because", {"verify.bench[0]"}}, {"unavailable", nullptr},
        {"a", runs_with_thp({65536, 65536, 63488})}, {"b", runs_with_thp({0, 0, 0})}},
       {{"bench", "tcp_rr"}, {"because", {"thp:enabled"}}, {"unavailable", nullptr}, {"a", {{"runs", json::array()}}},
        {"b", {{"runs", json::array()}}}},
       {{"bench", "mem_latency"}, {"because", {"thp:enabled"}}, {"unavailable", "needs root"}}});
  const json seen = observed_effect("thp:enabled", benchmarks);
  ASSERT_EQ(seen.size(), 1u) << seen.dump();
  EXPECT_EQ(seen[0]["bench"], "page_fault");
  EXPECT_EQ(seen[0]["before"], 65536.0);  // the median
  EXPECT_EQ(seen[0]["after"], 0.0);
  EXPECT_TRUE(observed_effect("sysctl:net.core.somaxconn", benchmarks).empty());
}

TEST(AuditReportRows, CpuMaxIsSeenInThrottlingOfItsOwnCpuQuotaRun) {
  const json quota = {{"bench", "cpu_quota"}, {"because", {"cgroup:/work.slice:cpu.max"}}, {"unavailable", nullptr},
                      {"comparison", {{"metrics", json::array({{{"metric", "nr_throttled"}, {"median_a", 0}, {"median_b", 20}}})}}}};
  const json seen = observed_effect("cgroup:/work.slice:cpu.max", json::array({quota}));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["before"], 0);
  EXPECT_EQ(seen[0]["after"], 20);
  EXPECT_TRUE(observed_effect("cgroup:/other.slice:cpu.max", json::array({quota})).empty());
}

}  // namespace
}  // namespace tunectl
