// The planner on fixture trees: current vs desired, already-ok, not-settable, order, purity.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/plan/planner.h"

namespace tunectl {
namespace {

Profile profile(const std::string& text) { return load_profile_from_text(text, "test.json", {}); }

Plan plan_on(const std::string& root, const std::string& text) {
  Host host(root);
  const Profile p = profile(text);
  return make_plan(host, plan_snapshot(host, plan_areas(p)), p);
}

const Change* find(const std::vector<Change>& v, const std::string& knob) {
  auto it = std::find_if(v.begin(), v.end(), [&](const Change& c) { return c.knob == knob; });
  return it == v.end() ? nullptr : &*it;
}

TEST(Planner, CurrentVsDesiredAlreadyOkAndMissing) {
  test::TempTree t;
  const std::string root = t.copy_fixture("vm");
  t.write("vm/proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
  t.write("vm/proc/sys/net/ipv4/tcp_keepalive_time", "60\n");
  const Plan p = plan_on(root, R"({"sysctl": {
      "net.ipv4.tcp_fin_timeout": {"value": 15, "why": "short", "source": "ip-sysctl.rst"},
      "net.ipv4.tcp_keepalive_time": 60,
      "vm.zone_reclaim_mode": 0}})");
  const Change* fin = find(p.changes, "sysctl:net.ipv4.tcp_fin_timeout");
  ASSERT_TRUE(fin);
  EXPECT_EQ(fin->current, "60");
  EXPECT_EQ(fin->desired, "15");
  EXPECT_EQ(fin->value, "15");
  EXPECT_EQ(fin->why, "short");
  EXPECT_EQ(fin->source, "ip-sysctl.rst");
  EXPECT_TRUE(fin->per_netns);
  ASSERT_TRUE(find(p.already, "sysctl:net.ipv4.tcp_keepalive_time"));
  const Change* zr = find(p.skipped, "sysctl:vm.zone_reclaim_mode");
  ASSERT_TRUE(zr);
  EXPECT_EQ(zr->status, ChangeStatus::kMissing);
  EXPECT_EQ(p.profile_digest.size(), 64u);
}

TEST(Planner, ReadOnlyFileIsNotSettable) {
  test::TempTree t;
  const std::string root = t.copy_fixture("vm");
  t.write("vm/proc/sys/net/ipv4/tcp_fin_timeout", "60\n", 0444);
  const Plan p = plan_on(root, R"({"sysctl": {"net.ipv4.tcp_fin_timeout": 15}})");
  const Change* c = find(p.skipped, "sysctl:net.ipv4.tcp_fin_timeout");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, ChangeStatus::kNotSettable);
  EXPECT_FALSE(c->reason.empty());
}

TEST(Planner, ConditionsExcludeWithReasons) {
  const Plan p = plan_on(test::fixture_host("vm"), R"({"sysctl": {
      "net.ipv4.tcp_fin_timeout": {"value": 15, "when": {"numa_nodes": {">": 1}}}}})");
  EXPECT_TRUE(p.changes.empty() && p.already.empty());
  ASSERT_EQ(p.excluded.size(), 1u);
  EXPECT_EQ(p.excluded[0].item, "/sysctl/net.ipv4.tcp_fin_timeout");
  EXPECT_EQ(p.excluded[0].reason, "numa_nodes > 1 is false: numa_nodes is 1");
}

TEST(Planner, ApplyOrderCgroupsFirstThpLast) {
  const Plan p = plan_on(test::fixture_host("metal-2s-mlx5-k8s"), R"({
      "thp": {"enabled": "never"},
      "sysctl": {"net.ipv4.tcp_fin_timeout": 15},
      "irq": {"policy": "numa-local"},
      "cgroups": {"/new.slice": {"create": true, "cpu.max.burst": 1000, "cpu.max": "200000 100000"}}})");
  std::vector<std::string> kinds;
  for (const auto& c : p.changes) kinds.push_back(c.knob.substr(0, c.knob.find(':')));
  ASSERT_GE(kinds.size(), 6u);
  EXPECT_EQ(p.changes[0].knob, "cgroup_dir:/new.slice");
  EXPECT_EQ(p.changes[1].knob, "cgroup:/new.slice:cpu.max");
  EXPECT_EQ(p.changes[2].knob, "cgroup:/new.slice:cpu.max.burst");
  EXPECT_EQ(kinds[3], "sysctl");
  EXPECT_EQ(kinds[4], "irq");
  EXPECT_EQ(kinds.back(), "thp");
  ASSERT_FALSE(p.irq_map.empty());
  EXPECT_EQ(p.irq_map[0].irq, 129);
}

TEST(Planner, CgroupWithoutCreateIsMissing) {
  const Plan p = plan_on(test::fixture_host("metal-2s-mlx5-k8s"),
                         R"({"cgroups": {"/absent.slice": {"cpu.max": "200000 100000"}}})");
  ASSERT_EQ(p.skipped.size(), 1u);
  EXPECT_EQ(p.skipped[0].status, ChangeStatus::kMissing);
  EXPECT_NE(p.skipped[0].reason.find("\"create\": true"), std::string::npos);
}

TEST(Planner, CgroupSymlinkIsAProfileError) {
  test::TempTree t;
  const std::string root = t.copy_fixture("metal-2s-mlx5-k8s");
  t.symlink("/etc", "metal-2s-mlx5-k8s/sys/fs/cgroup/evil.slice");
  EXPECT_THROW(plan_on(root, R"({"cgroups": {"/evil.slice": {"cpu.max": "max 100000"}}})"), ProfileError);
}

TEST(Planner, ManagedIrqsAreSkippedNotPlanned) {
  const Plan p = plan_on(test::fixture_host("cloud-ena"), R"({"irq": {"policy": "pin", "map": {"34": "1"}}})");
  EXPECT_TRUE(p.changes.empty());
  ASSERT_EQ(p.skipped.size(), 1u);
  EXPECT_EQ(p.skipped[0].knob, "irq:34:affinity");
  EXPECT_EQ(p.skipped[0].status, ChangeStatus::kNotSettable);
  EXPECT_EQ(p.skipped[0].reason.rfind("managed IRQ", 0), 0u);
  ASSERT_EQ(p.irq_map.size(), 1u);
  EXPECT_EQ(p.irq_map[0].status, "not-settable");
}

}  // namespace
}  // namespace tunectl
