// verify.bench expectations are checked against the benchmark registry when a profile loads: a
// misspelt benchmark, option or metric is a profile error naming the key, never a skipped check.
#include <gtest/gtest.h>

#include "core/errors.h"
#include "tuner/profile/profile.h"

namespace tunectl {
namespace {

std::string error_of(const std::string& bench_item) {
  try {
    load_profile_from_text(R"({"verify": {"bench": [)" + bench_item + "]}}", "p.json", {});
  } catch (const ProfileError& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(VerifySection, ExpectationsAreCanonicalAndKeepTheirOptions) {
  Profile p = load_profile_from_text(
      R"({"verify": {"bench": [{"bench": "tcp_crr", "options": {"linger": true, "duration": 0.2}, "metric": "time_wait_left",
                                "expect": "improved", "min_effect": 0.5, "why": "no TIME_WAIT"},
                               {"suite": "page_fault", "expect": "no-regression"}]}})",
      "p.json", {});
  const json& b = p.resolved["verify"]["bench"];
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], json({{"bench", "tcp_crr"}, {"options", {{"linger", "1"}, {"duration", "0.2"}}}, {"metric", "time_wait_left"},
                        {"expect", "improved"}, {"min_effect", 0.5}, {"why", "no TIME_WAIT"}}));
  EXPECT_EQ(b[1], json({{"bench", "page_fault"}, {"options", json::object()}, {"expect", "no-regression"}}));
  EXPECT_TRUE(p.resolved["verify"]["effects"].get<bool>());
}

TEST(VerifySection, UnknownNamesAreProfileErrorsNamingTheKey) {
  EXPECT_NE(error_of(R"({"bench": "tcp_rrr", "expect": "no-regression"})").find("/verify/bench/0/bench: unknown benchmark 'tcp_rrr' (known: "),
            std::string::npos);
  EXPECT_NE(error_of(R"({"suite": "nope", "expect": "no-regression"})").find("/verify/bench/0/suite: unknown benchmark 'nope'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"bench": "tcp_rr", "options": {"msgsize": 1}, "expect": "no-regression"})").find("/verify/bench/0/options: "),
            std::string::npos);
  EXPECT_NE(error_of(R"({"bench": "tcp_rr", "metric": "p50", "expect": "improved"})")
                .find("/verify/bench/0/metric: tcp_rr has no metric 'p50' (its metrics: rtt_p50_us"),
            std::string::npos);
}

TEST(VerifySection, ShapesThatCannotBeJudgedAreRefused) {
  EXPECT_NE(error_of(R"({"bench": "tcp_rr", "expect": "improved"})").find("/verify/bench/0/metric: \"improved\" needs the metric"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"bench": "tcp_rr", "metric": "tps", "expect": "faster"})").find("/verify/bench/0/expect: must be"),
            std::string::npos);
  for (const char* m : {"0", "-1", "101", "\"big\""})
    EXPECT_NE(error_of(std::string(R"({"bench": "tcp_rr", "metric": "tps", "expect": "improved", "min_effect": )") + m + "}")
                  .find("/verify/bench/0/min_effect: must be a number in (0, 100]"),
              std::string::npos)
        << m;
  EXPECT_NE(error_of(R"({"bench": "tcp_rr", "expect": "no-regression", "min_effect": 0.1})").find("only applies to \"improved\""),
            std::string::npos);
  EXPECT_NE(error_of(R"({"bench": "tcp_rr", "options": {"duration": [1]}, "expect": "no-regression"})")
                .find("/verify/bench/0/options/duration: must be a string, number or boolean"),
            std::string::npos);
}

}  // namespace
}  // namespace tunectl
