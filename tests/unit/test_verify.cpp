// verify: ok / drift / missing / not-settable, and the exit code rules.
#include <gtest/gtest.h>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/plan/planner.h"
#include "tuner/plan/verify.h"

namespace tunectl {
namespace {

VerifyReport verify_on(const std::string& root, const std::string& text) {
  Host host(root);
  return verify_profile(host, plan_snapshot(host), load_profile_from_text(text, "v.json", {}));
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

TEST(Verify, NotSettableDoesNotFailMissingDoes) {
  test::TempTree t;
  const std::string root = t.copy_fixture("vm");
  t.write("vm/proc/sys/net/ipv4/tcp_fin_timeout", "60\n", 0444);
  VerifyReport r = verify_on(root, R"({"sysctl": {"net.ipv4.tcp_fin_timeout": 15}})");
  EXPECT_EQ(r.items.at(0).status, "not-settable");
  EXPECT_TRUE(r.ok);
  r = verify_on(root, R"({"sysctl": {"vm.zone_reclaim_mode": 0}})");
  EXPECT_EQ(r.items.at(0).status, "missing");
  EXPECT_FALSE(r.ok);
}

TEST(Verify, AbsentCgroupToBeCreatedIsMissing) {
  VerifyReport r = verify_on(test::fixture_host("metal-2s-mlx5-k8s"),
                             R"({"cgroups": {"/new.slice": {"create": true, "cpu.max": "200000 100000"}}})");
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].knob, "cgroup:/new.slice");
  EXPECT_EQ(r.items[0].status, "missing");
  EXPECT_EQ(r.items[1].status, "missing");
  EXPECT_FALSE(r.ok);
}

}  // namespace
}  // namespace tunectl
