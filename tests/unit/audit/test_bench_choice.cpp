// Which benchmarks an audit runs for a plan: `auto` maps knobs to the benchmarks that see them,
// cpu.max becomes cpu_quota's own before/after options, and the profile's expectations are added
// once per distinct options.
#include <gtest/gtest.h>

#include "audit/bench_choice.h"
#include "core/errors.h"

namespace tunectl {
namespace {

Plan plan_of(std::vector<std::pair<std::string, std::pair<std::string, std::string>>> changes) {
  Plan p;
  for (const auto& [knob, values] : changes) {
    Change c;
    c.knob = knob;
    c.current = values.first;
    c.desired = c.value = values.second;
    p.changes.push_back(c);
  }
  return p;
}

std::vector<std::string> names(const std::vector<BenchChoice>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.bench);
  return out;
}

TEST(AuditBenchChoice, AutoMapsKnobsToTheBenchmarksThatSeeThem) {
  const Plan p = plan_of({{"thp:enabled", {"madvise", "never"}},
                          {"sysctl:net.ipv4.tcp_fin_timeout", {"60", "30"}},
                          {"sysctl:net.core.somaxconn", {"4096", "8192"}}});
  const auto cs = choose_benchmarks(p, json::object(), "auto", {});
  EXPECT_EQ(names(cs), (std::vector<std::string>{"mem_latency", "page_fault", "tcp_rr", "tcp_crr", "tcp_stream"}));
  // Two net sysctls, one tcp_rr run that names both.
  EXPECT_EQ(cs[2].because, (std::vector<std::string>{"sysctl:net.ipv4.tcp_fin_timeout", "sysctl:net.core.somaxconn"}));
}

// The latency profile on a VM: its wakeup expectation is about the power knobs, which this host
// skipped. wakeup cannot see anything the plan does, so it is marked, with the skipped knobs.
TEST(AuditBenchChoice, AnExpectationWhoseKnobsWereAllSkippedCannotSeeThePlan) {
  Plan p = plan_of({{"thp:enabled", {"madvise", "never"}}, {"sysctl:net.core.busy_read", {"0", "50"}}});
  Change idle;
  idle.knob = "cpuidle:0-1:max_latency_us";
  idle.status = ChangeStatus::kNotSettable;
  idle.reason = "no cpuidle driver";
  p.skipped.push_back(idle);
  const json verify = {{"bench", json::array({{{"bench", "wakeup"}, {"options", json::object()}, {"metric", "wakeup_p99_us"}, {"expect", "improved"}},
                                              {{"bench", "tcp_rr"}, {"options", json::object()}, {"expect", "no-regression"}}})}};
  const auto cs = choose_benchmarks(p, verify, "auto", {});
  ASSERT_EQ(names(cs), (std::vector<std::string>{"mem_latency", "page_fault", "tcp_rr", "tcp_crr", "tcp_stream", "wakeup"}));
  EXPECT_EQ(cs[5].cannot_see, "this host cannot take any setting it measures: cpuidle:0-1:max_latency_us (not-settable: no cpuidle driver)");
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(cs[i].cannot_see, "") << cs[i].bench;  // tcp_rr sees busy_read

  // The same expectation where the power knob is planned: wakeup runs.
  Plan metal = plan_of({{"cpuidle:0-1:max_latency_us", {"", "10"}}});
  EXPECT_EQ(choose_benchmarks(metal, verify, "auto", {})[0].cannot_see, "");
  // Nothing it sees was planned or skipped: the profile's own claim is measured as it stands.
  EXPECT_EQ(choose_benchmarks(plan_of({}), verify, "auto", {})[0].cannot_see, "");
  // Named on the command line: always run.
  EXPECT_EQ(choose_benchmarks(p, json::object(), "wakeup", {})[0].cannot_see, "");
}

TEST(AuditBenchChoice, CpuMaxIsMeasuredWithItsBeforeAndAfterValues) {
  const Plan p = plan_of({{"cgroup:/work.slice:cpu.max", {"max 100000", "50000 100000"}}});
  const auto cs = choose_benchmarks(p, json::object(), "auto", {});
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].bench, "cpu_quota");
  EXPECT_EQ(cs[0].options_a, (BenchOptions{{"quota", "102400000"}, {"period", "100000"}}));  // "max": unlimited
  EXPECT_EQ(cs[0].options_b, (BenchOptions{{"quota", "50000"}, {"period", "100000"}}));
}

TEST(AuditBenchChoice, ProfileExpectationsAreAddedOnceAndOverridesApply) {
  const json verify = {{"bench", json::array({{{"bench", "tcp_rr"}, {"options", json::object()}, {"expect", "no-regression"}},
                                              {{"bench", "tcp_crr"}, {"options", {{"linger", "1"}}}, {"expect", "no-regression"}}})}};
  const Plan p = plan_of({{"sysctl:net.ipv4.tcp_fin_timeout", {"60", "30"}}});
  const auto cs = choose_benchmarks(p, verify, "auto", {{"tcp_rr", {{"duration", "0.1"}}}});
  EXPECT_EQ(names(cs), (std::vector<std::string>{"tcp_rr", "tcp_crr", "tcp_stream", "tcp_crr"}));
  EXPECT_EQ(cs[0].options_a, (BenchOptions{{"duration", "0.1"}}));
  EXPECT_EQ(cs[0].because, (std::vector<std::string>{"sysctl:net.ipv4.tcp_fin_timeout", "verify.bench[0]"}));
  EXPECT_EQ(cs[3].options_b, (BenchOptions{{"linger", "1"}}));
  // "none": only the profile's.
  EXPECT_EQ(names(choose_benchmarks(p, verify, "none", {})), (std::vector<std::string>{"tcp_rr", "tcp_crr"}));
}

TEST(AuditBenchChoice, UnknownNamesAndOptionsAreInputErrors) {
  const Plan p;
  EXPECT_THROW(choose_benchmarks(p, json::object(), "tcp_rr,nope", {}), InputError);
  EXPECT_THROW(choose_benchmarks(p, json::object(), "none", {{"tcp_rr", {{"no-such-option", "1"}}}}), InputError);
  EXPECT_EQ(names(choose_benchmarks(p, json::object(), "wakeup,tcp_rr", {})), (std::vector<std::string>{"wakeup", "tcp_rr"}));
}

}  // namespace
}  // namespace tunectl
