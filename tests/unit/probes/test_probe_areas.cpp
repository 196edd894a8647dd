// The probe area registry (probes/areas.def): its areas and keys, --only, and the snapshot the
// registry drives (JSON both ways, inputs probed but not reported, the IRQ queue annotation).
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "cli/probe_tables.h"
#include "core/errors.h"
#include "probes/probe_area.h"
#include "tests/unit/test_helpers.h"

namespace tunectl {
namespace {

// The registry pinned: a new area adds its line here too (probes/areas.def says so).
TEST(ProbeAreas, RegistryListsTheAreasInOrderWithTheirJsonKeys) {
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& a : probe_areas()) got.emplace_back(a.name, a.json_key);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"topology", "topology"}, {"irq", "irqs"}, {"nic", "nics"}, {"thp", "thp"},
      {"tcp", "tcp"}, {"cgroup", "cgroups"}, {"cpu_power", "cpu_power"}};
  EXPECT_EQ(got, want);
  std::vector<std::string> names;
  for (const auto& [name, key] : want) names.push_back(name);
  EXPECT_EQ(snapshot_areas(), names);
  EXPECT_EQ(probe_area_names(), "topology, irq, nic, thp, tcp, cgroup, cpu_power");
}

TEST(ProbeAreas, EveryDescriptorIsComplete) {
  std::set<std::string> earlier;
  for (const auto& a : probe_areas()) {
    SCOPED_TRACE(a.name);
    EXPECT_FALSE(a.title.empty());
    EXPECT_TRUE(a.probe && a.present && a.clear && a.to_json && a.from_json && a.print_table);
    ASSERT_FALSE(a.kernel_files.empty());
    for (const auto& f : a.kernel_files) EXPECT_EQ(f.rfind("/", 0), 0u) << f;
    for (const auto& in : a.inputs) EXPECT_TRUE(earlier.count(in)) << in << " must precede " << a.name;
    earlier.insert(a.name);
  }
}

TEST(ProbeAreas, FoundByNameOrJsonKey) {
  ASSERT_NE(find_probe_area("irqs"), nullptr);
  EXPECT_EQ(find_probe_area("irqs")->name, "irq");
  EXPECT_EQ(find_probe_area("cgroup")->json_key, "cgroups");
  EXPECT_EQ(find_probe_area("bogus"), nullptr);
}

TEST(ProbeAreas, UnknownOnlyAreaListsTheRegistry) {
  const Host host(test::fixture_host("vm"));
  try {
    take_snapshot(host, {"tcp", "bogus"});
    FAIL() << "no error for an unknown area";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "--only: unknown area 'bogus' (known: " + probe_area_names() + ")");
    for (const auto& a : probe_areas()) EXPECT_NE(std::string(e.what()).find(a.name), std::string::npos) << a.name;
  }
}

TEST(ProbeAreas, SnapshotJsonRoundTripsThroughTheRegistry) {
  const Snapshot s = take_snapshot(Host(test::fixture_host("vm")));
  const json j = s;
  for (const auto& a : probe_areas()) EXPECT_TRUE(j.contains(a.json_key)) << a.json_key;
  EXPECT_TRUE(j.contains("irq_count_cpus"));
  const Snapshot back = j.get<Snapshot>();
  EXPECT_EQ(json(back), j);
  std::ostringstream a, b;
  cli::print_probe_tables(a, s);
  cli::print_probe_tables(b, back);
  EXPECT_EQ(a.str(), b.str());
  for (const auto& area : probe_areas()) EXPECT_NE(a.str().find("\n" + area.title + "\n"), std::string::npos);
}

// nic reads the irq area's rows: asked for alone, IRQs are probed but leave no trace.
TEST(ProbeAreas, InputsAreProbedButNotReported) {
  const Host host(test::fixture_host("vm"));
  const Snapshot nic_only = take_snapshot(host, {"nics"});
  ASSERT_TRUE(nic_only.nics);
  EXPECT_FALSE(nic_only.irqs);
  EXPECT_FALSE(nic_only.irq_count_cpus);
  EXPECT_FALSE(json(nic_only).contains("irqs"));
  EXPECT_FALSE(json(nic_only).contains("irq_count_cpus"));

  const Snapshot both = take_snapshot(host, {"irq", "nic"});
  ASSERT_TRUE(both.nics && both.irqs);
  EXPECT_EQ(json(*nic_only.nics), json(*both.nics));
  size_t queue_irqs = 0;
  for (const auto& nic : *both.nics) queue_irqs += nic.irqs.size();
  ASSERT_GT(queue_irqs, 0u) << "the vm fixture's virtio NIC has queue IRQs";
}

// The annotate step: each IRQ row carries the NIC queue the NIC probe mapped it to, and only those.
TEST(ProbeAreas, IrqRowsCarryTheirNicQueue) {
  const Snapshot s = take_snapshot(Host(test::fixture_host("vm")), {"irq", "nic"});
  ASSERT_TRUE(s.nics && s.irqs);
  std::map<int, std::pair<std::string, NicIrq>> mapped;
  for (const auto& nic : *s.nics)
    for (const auto& ni : nic.irqs) mapped[ni.irq] = {nic.name, ni};
  ASSERT_FALSE(mapped.empty());
  for (const auto& irq : *s.irqs) {
    SCOPED_TRACE(irq.irq);
    auto it = mapped.find(irq.irq);
    if (it == mapped.end()) {
      EXPECT_EQ(irq.nic, std::nullopt);
      EXPECT_EQ(irq.kind, std::nullopt);
      continue;
    }
    EXPECT_EQ(irq.nic, it->second.first);
    EXPECT_EQ(irq.queue, it->second.second.queue);
    EXPECT_EQ(irq.kind, it->second.second.kind);
  }
  // Without the nic area nothing annotates.
  const Snapshot irq_only = take_snapshot(Host(test::fixture_host("vm")), {"irq"});
  ASSERT_TRUE(irq_only.irqs);
  for (const auto& irq : *irq_only.irqs) EXPECT_EQ(irq.nic, std::nullopt);
}

}  // namespace
}  // namespace tunectl
