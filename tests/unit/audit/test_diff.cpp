// tunectl diff: snapshots of fixture trees with known edits give exactly those paths; list
// elements are matched by identity; volatile fields are ignored unless asked; audit reports are
// compared by what they concluded; bad input is refused naming the input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "audit/diff.h"
#include "audit/json_diff.h"
#include "core/errors.h"
#include "probes/snapshot.h"
#include "tests/unit/test_helpers.h"

namespace tunectl {
namespace {

namespace fs = std::filesystem;

json probe(const std::string& root) { return json(take_snapshot(Host(root))); }

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

json audit_sample() { return read_json(std::string(TUNECTL_SOURCE_DIR) + "/tests/fixtures/audit/report-sample.json"); }

// (area, path, change) of every difference.
using Found = std::set<std::tuple<std::string, std::string, std::string>>;
Found found(const json& diff) {
  Found out;
  for (const auto& [area, changes] : diff["areas"].items())
    for (const auto& c : changes) out.insert({area, c["path"], c["change"]});
  return out;
}

// The one difference at `path`; fails the test when there is not exactly one.
json at(const json& diff, const std::string& path) {
  std::vector<json> hits;
  for (const auto& [area, changes] : diff["areas"].items())
    for (const auto& c : changes)
      if (c["path"] == path) hits.push_back(c);
  EXPECT_EQ(hits.size(), 1u) << path;
  return hits.empty() ? json() : hits[0];
}

size_t index_of_irq(const json& snap, int irq) {
  for (size_t i = 0; i < snap["irqs"].size(); ++i)
    if (snap["irqs"][i]["irq"] == irq) return i;
  ADD_FAILURE() << "no IRQ " << irq;
  return 0;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Diff, TwoProbesOfOneTreeAreIdentical) {
  // Different roots (the fixture and a copy of it) and times: neither is a difference.
  test::TempTree t;
  const json a = probe(test::fixture_host("vm"));
  const json b = probe(t.copy_fixture("vm"));
  ASSERT_NE(a["host"]["root"], b["host"]["root"]);
  const json d = diff_documents(a, b);
  EXPECT_EQ(d["schema"], kDiffSchema);
  EXPECT_EQ(d["kind"], "snapshot");
  EXPECT_TRUE(d["identical"]);
  EXPECT_EQ(d["areas"], json::object());
  std::ostringstream out;
  print_diff(out, d);
  EXPECT_EQ(out.str(), "");  // like diff(1)
}

TEST(Diff, EditedTreeGivesExactlyTheEditedPaths) {
  // THP mode changed, IRQ 24's effective affinity moved, IRQ 27 added between 26 and 28.
  test::TempTree t;
  const std::string root = t.copy_fixture("vm");
  const json a = probe(root);
  t.write("vm/sys/kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n");
  t.write("vm/proc/irq/24/effective_affinity_list", "1\n");
  t.write("vm/proc/irq/24/effective_affinity", "2\n");
  fs::copy(root + "/proc/irq/26", root + "/proc/irq/27", fs::copy_options::recursive);
  // sys/kernel/irq/27 exists but is empty (a descriptor without a handler): give it one.
  fs::copy(root + "/sys/kernel/irq/26", root + "/sys/kernel/irq/27",
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  t.write("vm/sys/kernel/irq/27/actions", "extra\n");
  std::string interrupts = t.read("vm/proc/interrupts");
  const auto at28 = interrupts.find(" 28:");
  ASSERT_NE(at28, std::string::npos);
  interrupts.insert(at28, " 27:          5          7  IO-APIC   7-edge      extra\n");
  t.write("vm/proc/interrupts", interrupts);
  const json b = probe(root);

  const json d = diff_documents(a, b);
  EXPECT_FALSE(d["identical"]);
  EXPECT_EQ(found(d), (Found{{"thp", "/thp/enabled", "changed"},
                             {"irq", "/irqs/24/effective_affinity", "changed"},
                             {"irq", "/irqs/27", "added"}}));
  EXPECT_EQ(at(d, "/thp/enabled")["a"], "madvise");
  EXPECT_EQ(at(d, "/thp/enabled")["b"], "never");
  EXPECT_EQ(at(d, "/irqs/24/effective_affinity")["a"], "0");
  EXPECT_EQ(at(d, "/irqs/24/effective_affinity")["b"], "1");
  EXPECT_TRUE(at(d, "/irqs/27")["a"].is_null());
  EXPECT_EQ(at(d, "/irqs/27")["b"]["name"], "extra");
  // And the other way round: what was added is removed.
  EXPECT_EQ(found(diff_documents(b, a)), (Found{{"thp", "/thp/enabled", "changed"},
                                                {"irq", "/irqs/24/effective_affinity", "changed"},
                                                {"irq", "/irqs/27", "removed"}}));
}

TEST(Diff, KeyedListsAreMatchedByIdentityNotPosition) {
  const json a = probe(test::fixture_host("metal-2s-mlx5-k8s"));
  json b = a;
  // An IRQ inserted first, the NIC list and the cgroup list reversed, a CPU dropped.
  json irq = b["irqs"][0];
  irq["irq"] = 9999;
  irq["name"] = "inserted";
  b["irqs"].insert(b["irqs"].begin(), irq);
  ASSERT_GT(b["nics"].size(), 1u);
  std::reverse(b["nics"].begin(), b["nics"].end());
  ASSERT_GT(b["cgroups"]["groups"].size(), 1u);
  std::reverse(b["cgroups"]["groups"].begin(), b["cgroups"]["groups"].end());
  const int last_cpu = b["topology"]["cpus"].back()["cpu"];
  b["topology"]["cpus"].erase(b["topology"]["cpus"].size() - 1);
  const json d = diff_documents(a, b);
  EXPECT_EQ(found(d), (Found{{"irq", "/irqs/9999", "added"},
                             {"topology", "/topology/cpus/" + std::to_string(last_cpu), "removed"}}));
}

TEST(Diff, KeyedElementsAreNamedWithTheirKeyEscaped) {
  json a = probe(test::fixture_host("cloud-ena"));
  json b = a;
  json& groups = b["cgroups"]["groups"];
  size_t i = 0;
  while (i < groups.size() && groups[i]["path"] != "/system.slice/sshd.service") ++i;
  ASSERT_LT(i, groups.size());
  groups[i]["cpu_weight"] = 1234;
  b["nics"][0]["mtu"] = a["nics"][0]["mtu"].get<int>() + 1;
  const json d = diff_documents(a, b);
  const std::string nic = a["nics"][0]["name"];
  EXPECT_EQ(found(d), (Found{{"cgroup", "/cgroups/groups/~1system.slice~1sshd.service/cpu_weight", "changed"},
                             {"nic", "/nics/" + nic + "/mtu", "changed"}}));
}

TEST(Diff, DuplicateKeysFallBackToPositions) {
  json a = {{"schema", kSnapshotSchema}, {"irqs", {{{"irq", 1}, {"name", "x"}}, {{"irq", 1}, {"name", "y"}}}}};
  json b = a;
  b["irqs"][1]["name"] = "z";
  EXPECT_EQ(found(diff_documents(a, b)), (Found{{"irq", "/irqs/1/name", "changed"}}));
  EXPECT_EQ(at(diff_documents(a, b), "/irqs/1/name")["a"], "y");  // the second element, by position
}

TEST(Diff, CountersAreVolatileUnlessAsked) {
  const json a = probe(test::fixture_host("metal-2s-mlx5-k8s"));
  json b = a;
  b["host"]["taken_at"] = "2030-01-01T00:00:00Z";
  json& counts = b["irqs"][0]["counts"];  // sparse: {"<cpu>": count}
  ASSERT_FALSE(counts.empty());
  const std::string cpu = counts.begin().key();
  counts[cpu] = counts[cpu].get<uint64_t>() + 1000;
  b["topology"]["nodes"][0]["mem_free_kb"] = 1;
  b["thp"]["vmstat"]["thp_fault_alloc"] = 77;
  b["tcp"]["sockstat"]["inuse"] = 77;
  EXPECT_TRUE(diff_documents(a, b)["identical"]);

  DiffOptions with;
  with.counters = true;
  const std::string irq = std::to_string(a["irqs"][0]["irq"].get<int>());
  EXPECT_EQ(found(diff_documents(a, b, with)),
            (Found{{"irq", "/irqs/" + irq + "/counts/" + cpu, "changed"},
                   {"topology", "/topology/nodes/0/mem_free_kb", "changed"},
                   {"thp", "/thp/vmstat/thp_fault_alloc", "changed"},
                   {"tcp", "/tcp/sockstat/inuse", "changed"}}));
  // Sparse counts are compared CPU by CPU: one difference, for the one CPU whose count moved.
  EXPECT_EQ(at(diff_documents(a, b, with), "/irqs/" + irq + "/counts/" + cpu)["b"], counts[cpu]);
}

TEST(Diff, ErrorsAndUnavailableAreasGoUnderTheirArea) {
  json a = probe(test::fixture_host("vm"));
  json b = a;
  b["errors"]["irq"] = {"/proc/irq/24/node: Permission denied"};
  b["tcp"] = nullptr;
  b["tcp_unavailable"] = "cannot read";
  b["irq_count_cpus"] = {0};
  const json d = diff_documents(a, b);
  EXPECT_EQ(found(d), (Found{{"irq", "/errors/irq", "added"},
                             {"irq", "/irq_count_cpus", "changed"},
                             {"tcp", "/tcp", "changed"},
                             {"tcp", "/tcp_unavailable", "added"}}));
}

TEST(Diff, AuditReportsAreComparedByWhatTheyConcluded) {
  json a = audit_sample();
  a["snapshots"]["after"] = probe(test::fixture_host("vm"));
  json b = a;
  // Never compared: timing, environment, raw runs, statistics besides the verdict.
  b["started_at"] = "2027-01-01T00:00:00Z";
  b["finished_at"] = "2027-01-01T00:02:00Z";
  b["duration_s"] = 120.0;
  b["environment"]["steal_pct_max"] = 3.5;
  b["transaction"]["id"] = "other";
  json& metrics = b["benchmarks"][0]["comparison"]["metrics"];
  for (auto& m : metrics) m["ratio"] = 0.5;
  b["benchmarks"][0]["a"]["runs"].clear();
  EXPECT_TRUE(diff_documents(a, b)["identical"]);

  // Compared: profile digest, outcome, end state, settings by knob, verdicts by bench and metric
  // (the metrics reordered, so matching by position would differ everywhere), the host after.
  b["profile"]["digest"] = "00ff";
  b["outcome"]["verdict"] = "passed";
  b["end_state"] = "rolled-back";
  b["settings"][0]["after"] = "7200";
  const json setting = {{"knob", "thp:enabled"}, {"after", "never"}};
  b["settings"].insert(b["settings"].begin(), setting);
  std::reverse(metrics.begin(), metrics.end());
  for (auto& m : metrics)
    if (m["metric"] == "tps") m["verdict"] = "improved";
  b["snapshots"]["after"]["thp"]["enabled"] = "never";
  b["snapshots"]["after"]["host"]["taken_at"] = "2027-01-01T00:02:00Z";

  const json d = diff_documents(a, b);
  EXPECT_EQ(d["kind"], "audit");
  EXPECT_EQ(found(d), (Found{{"profile", "/profile/digest", "changed"},
                             {"outcome", "/outcome/verdict", "changed"},
                             {"outcome", "/end_state", "changed"},
                             {"settings", "/settings/sysctl:net.ipv4.tcp_keepalive_time/after", "changed"},
                             {"settings", "/settings/thp:enabled", "added"},
                             {"verdicts", "/benchmarks/tcp_rr/comparison/metrics/tps/verdict", "changed"},
                             {"thp", "/snapshots/after/thp/enabled", "changed"}}));
  EXPECT_EQ(at(d, "/benchmarks/tcp_rr/comparison/metrics/tps/verdict")["a"], "inconclusive");
  EXPECT_EQ(at(d, "/benchmarks/tcp_rr/comparison/metrics/tps/verdict")["b"], "improved");
  EXPECT_EQ(d["a"]["time"], "2026-11-30T23:10:00.000000Z");
  EXPECT_EQ(d["b"]["hostname"], "web-17");
}

TEST(Diff, RefusesWhatItCannotCompareNamingTheInput) {
  const json snap = probe(test::fixture_host("vm"));
  DiffOptions o;
  o.a_label = "one.json";
  o.b_label = "two.json";
  EXPECT_EQ(error_of([&] { diff_documents(snap, audit_sample(), o); }),
            "one.json is a snapshot but two.json is an audit report: diff compares two snapshots or two audit reports");
  EXPECT_EQ(error_of([&] { diff_documents(snap, json{{"schema", "tunectl.bench/1"}}, o); }),
            "two.json: unknown schema \"tunectl.bench/1\" (diff compares tunectl.snapshot/2, tunectl.snapshot/1 or "
            "tunectl.audit/1)");
  EXPECT_EQ(error_of([&] { diff_documents(json::array(), snap, o); }).rfind("one.json: not a JSON object", 0), 0u);
  EXPECT_EQ(error_of([&] { diff_documents(snap, json::object(), o); }).rfind("two.json: no \"schema\"", 0), 0u);
  EXPECT_TRUE(diff_documents(audit_sample(), audit_sample(), o)["identical"]);  // two audit reports are fine
}

TEST(Diff, InputFilesAreReadBoundedAndStrictly) {
  test::TempTree t;
  t.write("bad.json", "{\"schema\": ");
  t.write("dup.json", R"({"schema": "a", "schema": "b"})");
  t.write("deep.json", std::string(100, '[') + std::string(100, ']'));
  t.write("ok.json", R"({"schema": "tunectl.snapshot/1"})");
  EXPECT_EQ(load_diff_input(t.path() + "/ok.json")["schema"], kSnapshotSchemaV1);
  const std::string bad = error_of([&] { load_diff_input(t.path() + "/bad.json"); });
  EXPECT_EQ(bad.rfind(t.path() + "/bad.json: /schema: invalid JSON: parse error", 0), 0u) << bad;
  EXPECT_EQ(bad.find('\n'), std::string::npos);
  EXPECT_EQ(error_of([&] { load_diff_input(t.path() + "/dup.json"); }), t.path() + "/dup.json: /schema: duplicate key");
  EXPECT_EQ(error_of([&] { load_diff_input(t.path() + "/deep.json"); }).rfind(t.path() + "/deep.json: ", 0), 0u);
  EXPECT_EQ(error_of([&] { load_diff_input(t.path() + "/none.json"); }),
            t.path() + "/none.json: No such file or directory");
  EXPECT_EQ(error_of([&] { load_diff_input(t.path()); }), t.path() + ": not a regular file (directory)");
  t.write("huge.json", "");
  fs::resize_file(t.path() + "/huge.json", (size_t{64} << 20) + 1);
  EXPECT_EQ(error_of([&] { load_diff_input(t.path() + "/huge.json"); }), t.path() + "/huge.json: larger than 64 MiB");

  const std::string fifo = t.path() + "/fifo.json";
  t.fifo("fifo.json");
  std::string what;
  ASSERT_TRUE(test::returns_promptly([&] { what = error_of([&] { load_diff_input(fifo); }); }, fifo));
  EXPECT_EQ(what, fifo + ": not a regular file (FIFO)");
}

TEST(Diff, HumanOutputGroupsByAreaAndShortensValues) {
  json a = probe(test::fixture_host("vm"));
  json b = a;
  b["thp"]["enabled"] = "never";
  json irq = b["irqs"][index_of_irq(b, 24)];
  irq["irq"] = 27;
  irq["name"] = "extra";
  b["irqs"].push_back(irq);
  b["tcp"]["sysctls"]["net.ipv4.tcp_rmem"] = std::string(200, '9');
  b["nics"][0]["driver"] = "evil\x1b[2J";
  DiffOptions o;
  o.a_label = "a.json";
  o.b_label = "b.json";
  std::ostringstream out;
  print_diff(out, diff_documents(a, b, o));
  const std::string nic = a["nics"][0]["name"];
  const std::string text = out.str();
  EXPECT_EQ(text,
            "A: snapshot a.json (host vm, " + a["host"]["taken_at"].get<std::string>() + ")\n"
            "B: snapshot b.json (host vm, " + a["host"]["taken_at"].get<std::string>() + ")\n"
            "\nirq (1 difference)\n"
            "  /irqs/27: (absent) -> {name: \"extra\", 15 fields}\n"
            "\nnic (1 difference)\n"
            "  /nics/" + nic + "/driver: \"virtio_net\" -> \"evil\\u001b[2J\"\n"
            "\nthp (1 difference)\n"
            "  /thp/enabled: \"madvise\" -> \"never\"\n"
            "\ntcp (1 difference)\n"
            "  /tcp/sysctls/net.ipv4.tcp_rmem: \"4096 131072 33554432\" -> \"" + std::string(56, '9') + "...\n");
}

TEST(JsonDiff, ScalarListsAreOneDifferenceAndObjectListsGoByPosition) {
  const json a = {{"l", {1, 2, 3}}, {"o", {{{"x", 1}}, {{"x", 2}}}}};
  const json b = {{"l", {1, 2, 4}}, {"o", {{{"x", 1}}, {{"x", 3}}, {{"x", 4}}}}};
  std::vector<JsonChange> out;
  diff_json(&a, &b, JsonDiffRules{}, "", "/p", out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].path, "/p/l");
  EXPECT_EQ(out[0].b, json({1, 2, 4}));
  EXPECT_EQ(out[1].path, "/p/o/1/x");
  EXPECT_EQ(out[2].path, "/p/o/2");
  EXPECT_EQ(out[2].kind, JsonChange::Kind::kAdded);
}

}  // namespace
}  // namespace tunectl
