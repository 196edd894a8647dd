// verify: ok / drift / missing / not-settable, and the exit code rules.
#include <gtest/gtest.h>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/plan/planner.h"
#include "tuner/apply/transaction.h"
#include "tuner/plan/verify.h"

namespace tunectl {
namespace {

VerifyReport verify_on(const std::string& root, const std::string& text) {
  Host host(root);
  const Profile p = load_profile_from_text(text, "v.json", {});
  return verify_profile(host, plan_snapshot(host, plan_areas(p)), p);
}

const char* kProfile = R"({"sysctl": {"net.ipv4.tcp_fin_timeout": 15, "net.ipv4.tcp_keepalive_time": 60}})";

TEST(Verify, DriftThenOkAfterTheFilesAreFixed) {
  test::TempTree t;
  const std::string root = t.copy_fixture("vm");
  t.write("vm/proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
  t.write("vm/proc/sys/net/ipv4/tcp_keepalive_time", "60\n");
  VerifyReport r = verify_on(root, kProfile);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(verify_exit_code(r), kExitDrift);
  EXPECT_EQ(r.summary["drift"], 1);
  EXPECT_EQ(r.summary["ok"], 1);
  ASSERT_EQ(r.items[0].knob, "sysctl:net.ipv4.tcp_fin_timeout");
  EXPECT_EQ(r.items[0].expected, "15");
  EXPECT_EQ(r.items[0].actual, "60");

  t.write("vm/proc/sys/net/ipv4/tcp_fin_timeout", "15\n");
  r = verify_on(root, kProfile);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(verify_exit_code(r), kExitOk);
}

TEST(Verify, WhatApplySkipsFailsOnlyWhenStrict) {
  // Apply skips a not-settable or missing knob (with a warning), so verify agrees by default.
  test::TempTree t;
  const std::string root = t.copy_fixture("vm");
  t.write("vm/proc/sys/net/ipv4/tcp_fin_timeout", "60\n", 0444);
  Host host(root);
  for (const char* text : {R"({"sysctl": {"net.ipv4.tcp_fin_timeout": 15}})", R"({"sysctl": {"vm.zone_reclaim_mode": 0}})"}) {
    const Profile p = load_profile_from_text(text, "v.json", {});
    const Snapshot snap = plan_snapshot(host, plan_areas(p));
    VerifyReport r = verify_profile(host, snap, p);
    EXPECT_TRUE(r.ok) << text;
    EXPECT_EQ(verify_exit_code(r), kExitOk);
    r = verify_profile(host, snap, p, true);
    EXPECT_FALSE(r.ok) << text;
    EXPECT_TRUE(r.strict);
    EXPECT_EQ(verify_exit_code(r), kExitDrift);
  }
  EXPECT_STREQ(to_string(verify_on(root, R"({"sysctl": {"net.ipv4.tcp_fin_timeout": 15}})").items.at(0).status),
               "not-settable");
  EXPECT_STREQ(to_string(verify_on(root, R"({"sysctl": {"vm.zone_reclaim_mode": 0}})").items.at(0).status), "missing");
}

TEST(Verify, StrictFailsOnThePlansWarnings) {
  const std::string root = test::fixture_host("vm");
  Host host(root);
  const Profile p = load_profile_from_text(R"({"nic": {"nomatch*": {"rings.rx": 512}}})", "v.json", {});
  const Snapshot snap = plan_snapshot(host, plan_areas(p));
  VerifyReport r = verify_profile(host, snap, p);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("no physical NIC matches 'nomatch*'"), std::string::npos) << r.warnings[0];
  EXPECT_TRUE(r.ok);
  EXPECT_FALSE(verify_profile(host, snap, p, true).ok);
}

TEST(Verify, AbsentCgroupToBeCreatedIsDriftAndItsFilesMissing) {
  VerifyReport r = verify_on(test::fixture_host("metal-2s-mlx5-k8s"),
                             R"({"cgroups": {"/new.slice": {"create": true, "cpu.max": "200000 100000"}}})");
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].knob, "cgroup_dir:/new.slice");
  EXPECT_EQ(r.items[0].actual, "absent");
  EXPECT_EQ(r.items[0].expected, "present");
  EXPECT_EQ(r.items[0].status, VerifyStatus::kDrift);
  EXPECT_EQ(r.items[1].knob, "cgroup:/new.slice:cpu.max");
  EXPECT_EQ(r.items[1].status, VerifyStatus::kMissing);
  EXPECT_EQ(r.items[1].detail, "its container cgroup_dir:/new.slice does not exist");
  EXPECT_FALSE(r.ok);
}

TEST(Verify, ACreatedCgroupVerifiesOkAfterApply) {
  // The whole path on a captured tree: plan creates the group, apply makes it (with the
  // interface files the kernel would create), verify then finds everything in place.
  test::TempTree t;
  const std::string root = t.copy_fixture("metal-2s-mlx5-k8s");
  const Profile p = load_profile_from_text(R"({"cgroups": {"/new.slice": {"create": true, "cpu.max": "200000 100000"}}})",
                                           "v.json", {});
  Host host(root);
  t.write("state/transactions/.keep", "");
  const Transaction tx = apply_plan(host, make_plan(host, plan_snapshot(host, plan_areas(p)), p), t.path() + "/state");
  ASSERT_EQ(tx.state, TxState::kApplied) << tx.error.value_or("");
  EXPECT_FALSE(tx.changes.at(1).before.has_value());  // created with its cgroup: nothing to restore
  const VerifyReport r = verify_profile(host, plan_snapshot(host, plan_areas(p)), p);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.summary.at("ok"), 2);
}

}  // namespace
}  // namespace tunectl
