// Reviewing plans before an apply: the digest, the differences, --strict and the warnings the
// planner raises for what a host would silently not get.
#include <gtest/gtest.h>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/plan/plan_review.h"
#include "tuner/plan/planner.h"

namespace tunectl {
namespace {

Plan plan_on(const std::string& root, const std::string& text) {
  Host host(root);
  const Profile p = load_profile_from_text(text, "r.json", {});
  return make_plan(host, plan_snapshot(host, plan_areas(p)), p);
}

const char* kTwoSysctls = R"({"sysctl": {"net.ipv4.tcp_fin_timeout": 15, "net.ipv4.tcp_keepalive_time": 60}})";

TEST(PlanReview, DigestIsStableAndCoversCurrentValueAndValueToWrite) {
  test::TempTree t;
  const std::string root = t.copy_fixture("vm");
  t.write("vm/proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
  const Plan a = plan_on(root, kTwoSysctls);
  ASSERT_EQ(a.digest.size(), 64u);
  EXPECT_EQ(plan_on(root, kTwoSysctls).digest, a.digest);  // same host, same profile
  EXPECT_EQ(plan_digest(a), a.digest);

  t.write("vm/proc/sys/net/ipv4/tcp_fin_timeout", "30\n");  // the host moved: another current value
  const Plan b = plan_on(root, kTwoSysctls);
  EXPECT_NE(b.digest, a.digest);
  const auto diff = plan_differences(a, b);
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_EQ(diff[0], "~ sysctl:net.ipv4.tcp_fin_timeout: now 30 -> 15, reviewed 60 -> 15");

  const Plan c = plan_on(root, R"({"sysctl": {"net.ipv4.tcp_fin_timeout": 20}})");  // another profile
  const auto d2 = plan_differences(b, c);
  ASSERT_GE(d2.size(), 2u);
  EXPECT_EQ(d2[0].rfind("profile: reviewed sha256 ", 0), 0u) << d2[0];
  EXPECT_NE(std::find(d2.begin(), d2.end(), "~ sysctl:net.ipv4.tcp_fin_timeout: now 30 -> 20, reviewed 30 -> 15"),
            d2.end());
}

TEST(PlanReview, AddedAndRemovedChangesAreListed) {
  Plan reviewed, now;
  reviewed.root = now.root = "/t";
  reviewed.changes = {test::change_to("sysctl:vm.swappiness", "10")};
  now.changes = {test::change_to("sysctl:fs.file-max", "100")};
  const auto diff = plan_differences(reviewed, now);
  ASSERT_EQ(diff.size(), 2u);
  EXPECT_EQ(diff[0].rfind("+ sysctl:fs.file-max: ", 0), 0u) << diff[0];
  EXPECT_EQ(diff[1].rfind("- sysctl:vm.swappiness: ", 0), 0u) << diff[1];
  EXPECT_TRUE(plan_differences(now, now).empty());
}

TEST(PlanReview, CheckPlanRefusesWithExitOneNamingTheDifference) {
  test::TempTree t;
  const std::string root = t.copy_fixture("vm");
  t.write("vm/proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
  const Plan reviewed = plan_on(root, kTwoSysctls);
  EXPECT_NO_THROW(check_plan(reviewed, {false, reviewed.digest, std::nullopt}));
  EXPECT_NO_THROW(check_plan(reviewed, {false, std::nullopt, reviewed}));

  t.write("vm/proc/sys/net/ipv4/tcp_fin_timeout", "30\n");
  const Plan now = plan_on(root, kTwoSysctls);
  try {
    check_plan(now, {false, std::nullopt, reviewed});
    FAIL() << "a changed plan was accepted";
  } catch (const PlanRefused& e) {
    EXPECT_EQ(e.exit_code(), kExitDrift);
    EXPECT_NE(std::string(e.what()).find("reviewed 60 -> 15"), std::string::npos) << e.what();
  }
  try {
    check_plan(now, {false, reviewed.digest, std::nullopt});
    FAIL() << "a changed digest was accepted";
  } catch (const PlanRefused& e) {
    EXPECT_NE(std::string(e.what()).find("sysctl:net.ipv4.tcp_fin_timeout: 30 -> 15"), std::string::npos) << e.what();
  }
}

TEST(PlanReview, PlanJsonRoundTripsToTheSameDigest) {
  test::TempTree t;
  const std::string root = t.copy_fixture("vm");
  t.write("vm/proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
  const Plan p = plan_on(root, kTwoSysctls);
  t.write("plan.json", json(p).dump(2));
  const Plan back = read_plan_file(t.path() + "/plan.json");
  EXPECT_EQ(plan_digest(back), p.digest);
  EXPECT_TRUE(plan_differences(p, back).empty());

  t.write("other.json", R"({"schema": "tunectl.snapshot/2"})");
  EXPECT_THROW(read_plan_file(t.path() + "/other.json"), InputError);
  t.write("broken.json", "{\"changes\": [");
  EXPECT_THROW(read_plan_file(t.path() + "/broken.json"), InputError);
  t.write("typed.json", R"({"root": "/", "changes": [{"knob": 5}]})");
  EXPECT_THROW(read_plan_file(t.path() + "/typed.json"), InputError);
  EXPECT_THROW(read_plan_file(t.path() + "/none.json"), InputError);
}

TEST(PlanReview, StrictListsEverySkippedKnobAndWarning) {
  const Plan p = plan_on(test::fixture_host("vm"),
                         R"({"sysctl": {"vm.zone_reclaim_mode": 0}, "nic": {"nomatch*": {"rings.rx": 512}}})");
  const auto bad = strict_failures(p);
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0].rfind("sysctl:vm.zone_reclaim_mode: missing: ", 0), 0u) << bad[0];
  EXPECT_NE(bad[1].find("no physical NIC matches 'nomatch*'"), std::string::npos) << bad[1];
  EXPECT_THROW(check_plan(p, {true, std::nullopt, std::nullopt}), PlanRefused);
  EXPECT_NO_THROW(check_plan(p, {false, std::nullopt, std::nullopt}));
}

TEST(PlanWarnings, IrqPinToAMissingIrqAndPolicyMatchingNoNicWarn) {
  const std::string root = test::fixture_host("vm");
  const Plan pin = plan_on(root, R"({"irq": {"policy": "pin", "map": {"9999": "0"}}})");
  ASSERT_EQ(pin.warnings.size(), 1u);
  EXPECT_NE(pin.warnings[0].find("IRQ 9999 does not exist"), std::string::npos) << pin.warnings[0];
  const Plan rps = plan_on(root, R"({"rps": {"nics": ["nomatch*"]}})");
  ASSERT_EQ(rps.warnings.size(), 1u);
  EXPECT_NE(rps.warnings[0].find("rps: no physical NIC matches"), std::string::npos) << rps.warnings[0];
  EXPECT_TRUE(plan_on(root, kTwoSysctls).warnings.empty());
}

TEST(PlanWarnings, AnEmptyRootSaysThereIsNoHostThere) {
  test::TempTree t;
  t.write("empty/.keep", "");
  const Plan p = plan_on(t.path() + "/empty", kTwoSysctls);
  ASSERT_FALSE(p.warnings.empty());
  EXPECT_NE(p.warnings[0].find("has neither proc/ nor sys/"), std::string::npos) << p.warnings[0];
  EXPECT_EQ(p.skipped.size(), 2u);
}

}  // namespace
}  // namespace tunectl
