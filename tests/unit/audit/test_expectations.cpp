// The audit's pass/fail rules on synthetic comparisons: an expectation is met only when the data
// show it, and any regression fails the audit.
#include <gtest/gtest.h>

#include "audit/expectations.h"

namespace tunectl {
namespace {

json metric(const std::string& name, const std::string& verdict, json ratio, json ci, bool higher = false) {
  return {{"metric", name}, {"verdict", verdict}, {"ratio", ratio}, {"ci95", ci}, {"higher_is_better", higher},
          {"why", verdict == "inconclusive" ? "CI too wide for a verdict" : ""}};
}

BenchOutcome ran(const std::string& bench, std::vector<json> metrics, std::vector<std::string> because = {"verify.bench[0]"}) {
  return {bench, std::move(because), "", {{"metrics", metrics}}};
}

json expect(const std::string& bench, const std::string& metric, const std::string& what, std::optional<double> min = {}) {
  json e = {{"bench", bench}, {"options", json::object()}, {"expect", what}};
  if (!metric.empty()) e["metric"] = metric;
  if (min) e["min_effect"] = *min;
  return e;
}

TEST(AuditJudge, ImprovedIsMetOnlyByAnImprovedVerdict) {
  for (const char* v : {"no change", "inconclusive"}) {
    const auto r = judge(json::array({expect("tcp_rr", "rtt_p50_us", "improved")}),
                         {ran("tcp_rr", {metric("rtt_p50_us", v, 0.9, {0.8, 1.01})})});
    EXPECT_FALSE(r.passed) << v;
    EXPECT_FALSE(r.expectations[0]["met"].get<bool>());
    EXPECT_NE(r.reasons.at(0).find(std::string("not shown: the verdict is ") + v), std::string::npos) << r.reasons[0];
  }
  const auto ok = judge(json::array({expect("tcp_rr", "rtt_p50_us", "improved")}),
                        {ran("tcp_rr", {metric("rtt_p50_us", "improved", 0.8, {0.75, 0.85})})});
  EXPECT_TRUE(ok.passed);
  EXPECT_TRUE(ok.reasons.empty());
}

// A benchmark that could not see the plan on this host leaves its expectation unchecked: met is
// null, the audit is neither failed nor credited, and the reason says why.
TEST(AuditJudge, AnExpectationTheHostCannotCheckIsNeitherMetNorFailed) {
  BenchOutcome blind{"wakeup", {"verify.bench[0]"}, "cannot see the plan", json(), false, "this host cannot take any setting it measures: cpuidle:0-1:max_latency_us (not-settable)"};
  const auto r = judge(json::array({expect("wakeup", "wakeup_p99_us", "improved", 0.1)}), {blind});
  EXPECT_TRUE(r.passed);
  EXPECT_TRUE(r.expectations[0]["met"].is_null());
  EXPECT_EQ(r.unchecked.size(), 1u);
  EXPECT_NE(r.unchecked[0].find("cannot be checked on this host: wakeup this host cannot take"), std::string::npos) << r.unchecked[0];
  // Without the mark, a benchmark that did not run fails the expectation as before.
  blind.cannot_see.clear();
  EXPECT_FALSE(judge(json::array({expect("wakeup", "wakeup_p99_us", "improved", 0.1)}), {blind}).passed);
}

TEST(AuditJudge, MinimumEffectIsCheckedAgainstTheLeastFavourableEndOfTheCi) {
  // Lower is better: ratio 0.6 (40% better) but the CI reaches 0.9: only 10% is shown.
  const auto weak = judge(json::array({expect("tcp_crr", "time_wait_left", "improved", 0.5)}),
                          {ran("tcp_crr", {metric("time_wait_left", "improved", 0.6, {0.3, 0.9})})});
  EXPECT_FALSE(weak.passed);
  EXPECT_NEAR(weak.expectations[0]["effect_shown"].get<double>(), 0.1, 1e-12);
  const auto strong = judge(json::array({expect("tcp_crr", "time_wait_left", "improved", 0.5)}),
                            {ran("tcp_crr", {metric("time_wait_left", "improved", 0.0, {0.0, 0.0})})});
  EXPECT_TRUE(strong.passed);
  // Higher is better: the lower end counts.
  const auto tps = judge(json::array({expect("tcp_rr", "tps", "improved", 0.2)}),
                         {ran("tcp_rr", {metric("tps", "improved", 1.5, {1.15, 1.9}, true)})});
  EXPECT_FALSE(tps.passed);
  EXPECT_NEAR(tps.expectations[0]["effect_shown"].get<double>(), 0.15, 1e-12);
}

TEST(AuditJudge, NoRegressionFailsOnARegressionAndWhenTheBenchmarkDidNotRun) {
  const json e = json::array({expect("page_fault", "", "no-regression")});
  EXPECT_TRUE(judge(e, {ran("page_fault", {metric("faults_per_s_4k", "inconclusive", 1.0, {0.9, 1.1}, true)})}).passed);
  const auto reg = judge(e, {ran("page_fault", {metric("faults_per_s_thp", "regressed", 0.02, {0.01, 0.1}, true)})});
  EXPECT_FALSE(reg.passed);
  EXPECT_EQ(reg.regressions.size(), 1u);
  const auto missing = judge(e, {BenchOutcome{"page_fault", {"verify.bench[0]"}, "needs root", nullptr}});
  EXPECT_FALSE(missing.passed);
  EXPECT_NE(missing.reasons.at(0).find("did not run (needs root)"), std::string::npos) << missing.reasons[0];
}

// Too disturbed for verdicts (steal, CPUs taken) hides a regression as well as an improvement:
// "nothing regressed" is not shown then, even though no metric says "regressed".
TEST(AuditJudge, NoRegressionIsNotMetWhenTheRunsWereTooDisturbed) {
  BenchOutcome disturbed = ran("page_fault", {metric("gib_per_s_thp", "inconclusive", 0.53, {0.3, 1.79}, true)});
  disturbed.comparison["too_disturbed"] = "2 of 6 runs of A were disturbed (more than a quarter), e.g. hypervisor steal 5.88%";
  for (const char* m : {"", "gib_per_s_thp"}) {
    const auto r = judge(json::array({expect("page_fault", m, "no-regression")}), {disturbed});
    EXPECT_FALSE(r.passed) << m;
    EXPECT_FALSE(r.expectations[0]["met"].get<bool>()) << m;
    EXPECT_NE(r.reasons.at(0).find("not shown: 2 of 6 runs of A were disturbed"), std::string::npos) << r.reasons[0];
  }
  // Undisturbed (too_disturbed null, as the comparison writes it): no regression verdict, met.
  disturbed.comparison["too_disturbed"] = nullptr;
  EXPECT_TRUE(judge(json::array({expect("page_fault", "", "no-regression")}), {disturbed}).passed);
}

TEST(AuditJudge, AnyRegressionFailsEvenWithoutExpectations) {
  const auto r = judge(json::array(), {ran("mem_latency", {metric("ns_per_access_4k", "regressed", 1.3, {1.2, 1.4})}, {"thp:enabled"})});
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0], "mem_latency ns_per_access_4k regressed (ratio 1.3)");
  // Nothing shown either way is not a failure, and not an improvement: the summary says so.
  EXPECT_TRUE(judge(json::array(), {ran("mem_latency", {metric("ns_per_access_4k", "inconclusive", 1.0, {0.8, 1.3})})}).passed);
}

TEST(AuditJudge, ExpectationsAreTiedToTheirOwnRun) {
  // Two tcp_rr runs with different options: the expectation reads the one its tag names.
  const json e = json::array({expect("tcp_rr", "rtt_p50_us", "improved"), expect("tcp_rr", "rtt_p50_us", "improved")});
  const auto r = judge(e, {ran("tcp_rr", {metric("rtt_p50_us", "improved", 0.8, {0.7, 0.9})}, {"verify.bench[0]"}),
                           ran("tcp_rr", {metric("rtt_p50_us", "inconclusive", 1.0, {0.9, 1.1})}, {"verify.bench[1]"})});
  EXPECT_TRUE(r.expectations[0]["met"].get<bool>());
  EXPECT_FALSE(r.expectations[1]["met"].get<bool>());
}

TEST(AuditJudge, ImprovementIsSignedByDirection) {
  EXPECT_DOUBLE_EQ(improvement(0.75, false), 0.25);
  EXPECT_DOUBLE_EQ(improvement(1.25, true), 0.25);
  EXPECT_DOUBLE_EQ(improvement(1.25, false), -0.25);
}

}  // namespace
}  // namespace tunectl

namespace tunectl {
namespace {

TEST(AuditJudge, ASettingMeasuredByItsOwnOptionsIsNotARegression) {
  // cpu.max 'max' -> '50000 100000' measured by cpu_quota with those values: less CPU is the point.
  BenchOutcome quota{"cpu_quota", {"cgroup:/work.slice:cpu.max"}, "",
                     {{"metrics", json::array({{{"metric", "cpu_share"}, {"verdict", "regressed"}, {"ratio", 0.5},
                                                {"ci95", {0.49, 0.51}}, {"higher_is_better", true}}})}},
                     true};
  EXPECT_TRUE(judge(json::array(), {quota}).passed);
  quota.measures_setting = false;
  EXPECT_FALSE(judge(json::array(), {quota}).passed);
}

}  // namespace
}  // namespace tunectl
