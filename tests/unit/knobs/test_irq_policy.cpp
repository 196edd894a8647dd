// IRQ policies on the fixture topologies: NUMA-local placement, spread, pin, managed IRQs.
#include <gtest/gtest.h>

#include <map>

#include "core/parse.h"
#include "probes/snapshot.h"
#include "tests/unit/test_helpers.h"
#include "tuner/knobs/irq_policy.h"
#include "tuner/profile/profile_schema.h"

namespace tunectl {
namespace {

json policy(const std::string& text) { return canonical_profile(json::parse(R"({"irq": )" + text + "}")).body["irq"]; }

Snapshot fixture(const std::string& name) { return take_snapshot(Host(test::fixture_host(name)), {"topology", "irq", "nic"}); }

// metal-2s-mlx5-k8s: node 0 = CPUs 0-15,32-47 (SMT siblings n and n+32), isolcpus/nohz_full
// 8-15,40-47, ens1f0np0 (mlx5, 32 completion IRQs 129-160, queues 0-31) on node 0.
TEST(IrqPolicy, NumaLocalOnePerCoreOnTheNicNodeAwayFromIsolatedCpusAndSiblings) {
  const Snapshot snap = fixture("metal-2s-mlx5-k8s");
  const IrqPlacement p = place_irqs(policy(R"({"policy": "numa-local"})"), snap);
  ASSERT_EQ(p.assignments.size(), 32u);
  for (const auto& a : p.assignments) {
    SCOPED_TRACE(a.irq);
    EXPECT_EQ(a.nic, "ens1f0np0");
    EXPECT_TRUE(a.skip_reason.empty());
    ASSERT_TRUE(a.queue.has_value());
    EXPECT_EQ(a.irq, 129 + *a.queue);
    // Housekeeping CPUs of node 0 with one thread per core: 0-7; queue q on CPU q mod 8.
    EXPECT_EQ(a.cpus, std::to_string(*a.queue % 8));
  }
  // Deterministic: the same snapshot gives the same map.
  const IrqPlacement again = place_irqs(policy(R"({"policy": "numa-local"})"), snap);
  for (size_t i = 0; i < p.assignments.size(); ++i) EXPECT_EQ(p.assignments[i].cpus, again.assignments[i].cpus);
}

TEST(IrqPolicy, NumaLocalWithoutOnePerCoreGivesTheWholeLocalPool) {
  const Snapshot snap = fixture("metal-2s-mlx5-k8s");
  const IrqPlacement p = place_irqs(
      policy(R"({"policy": "numa-local", "one_per_core": false, "avoid_smt_siblings": false})"), snap);
  ASSERT_FALSE(p.assignments.empty());
  for (const auto& a : p.assignments) EXPECT_EQ(a.cpus, "0-7,32-39");
}

TEST(IrqPolicy, SpreadIsRoundRobinOverTheWholePool) {
  const Snapshot snap = fixture("metal-2s-mlx5-k8s");
  const IrqPlacement p = place_irqs(policy(R"({"policy": "spread", "cpus": "0-63", "avoid_smt_siblings": true})"), snap);
  ASSERT_EQ(p.assignments.size(), 32u);
  // Pool: 0-63 minus isolated 8-15,40-47, first threads only: 0-7,16-31 (24 CPUs).
  const std::vector<int> pool = {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
  for (size_t i = 0; i < p.assignments.size(); ++i) EXPECT_EQ(p.assignments[i].cpus, std::to_string(pool[i % pool.size()]));
}

TEST(IrqPolicy, PinMapsIrqsAndNicQueues) {
  const Snapshot snap = fixture("metal-2s-mlx5-k8s");
  const IrqPlacement p = place_irqs(policy(R"({"policy": "pin", "map": {"129": "3", "ens1f0np0:2": "4-5",
                                               "99999": "1", "ens1f0np0:900": "1", "130": "0,200"}})"), snap);
  std::map<int, std::string> got, skipped;
  for (const auto& a : p.assignments) (a.skip_reason.empty() ? got : skipped)[a.irq] = a.skip_reason.empty() ? a.cpus : a.skip_reason;
  EXPECT_EQ(got, (std::map<int, std::string>{{129, "3"}, {131, "4-5"}}));
  EXPECT_EQ(skipped.at(130), "CPUs 200 are not online");
  EXPECT_EQ(p.notes.size(), 2u);
}

// cloud-ena: IRQs 34-41 (nvme0q1-8) are kernel-managed (read-only smp_affinity_list).
TEST(IrqPolicy, ManagedIrqsAreSkippedWithAReason) {
  const Snapshot snap = fixture("cloud-ena");
  const IrqPlacement p = place_irqs(policy(R"({"policy": "pin", "map": {"34": "0", "25": "1"}})"), snap);
  ASSERT_EQ(p.assignments.size(), 2u);
  for (const auto& a : p.assignments) {
    if (a.irq == 34) {
      EXPECT_EQ(a.skip_reason.rfind("managed IRQ", 0), 0u);
      EXPECT_TRUE(a.cpus.empty());
    } else {
      EXPECT_EQ(a.irq, 25);
      EXPECT_EQ(a.cpus, "1");
      EXPECT_TRUE(a.skip_reason.empty());
    }
  }
}

TEST(IrqPolicy, MissingAreasBecomeNotes) {
  Snapshot snap;
  snap.unavailable["topology"] = "no sysfs";
  const IrqPlacement p = place_irqs(policy(R"({"policy": "spread"})"), snap);
  EXPECT_TRUE(p.assignments.empty());
  ASSERT_EQ(p.notes.size(), 1u);
  EXPECT_EQ(p.notes[0], "irq policy not placed: topology unavailable (no sysfs)");
}

}  // namespace
}  // namespace tunectl
