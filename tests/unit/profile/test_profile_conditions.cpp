// Conditions: grammar validation and evaluation against host facts.
#include <gtest/gtest.h>

#include "tuner/profile/conditions.h"
#include "core/strict_json.h"

namespace tunectl {
namespace {

HostFacts two_socket() {
  HostFacts f;
  f.numa_nodes = 2;
  f.cpus = 64;
  f.kernel = "6.8.0-45-generic";
  f.virtualized = false;
  f.nic_drivers = std::vector<std::string>{"mlx5_core"};
  f.cgroup_mode = "unified";
  return f;
}

std::string invalid(const std::string& cond) {
  try {
    validate_condition(json::parse(cond), "/when");
  } catch (const JsonError& e) {
    return e.pointer + ": " + e.what();
  }
  return "(valid)";
}

TEST(Conditions, VersionsCompareNumerically) {
  EXPECT_EQ(compare_versions("5.10.0-28-amd64", "5.10"), 0);
  EXPECT_EQ(compare_versions("5.9", "5.10"), -1);
  EXPECT_EQ(compare_versions("6.1.112-122.189.amzn2023.x86_64", "6.1.100"), 1);
  EXPECT_EQ(compare_versions("4.18.0-553.el8_10.x86_64", "5"), -1);
  EXPECT_FALSE(compare_versions("abc", "5.10").has_value());
}

TEST(Conditions, EvaluateAgainstFacts) {
  const HostFacts f = two_socket();
  auto fails = [&](const std::string& c) { return condition_fails(json::parse(c), f); };
  EXPECT_FALSE(fails(R"({"numa_nodes": {">": 1}, "kernel": {">=": "5.10"}, "virtualized": false})"));
  EXPECT_EQ(*fails(R"({"numa_nodes": {">": 2}})"), "numa_nodes > 2 is false: numa_nodes is 2");
  EXPECT_EQ(*fails(R"({"kernel": {"<": "6.8"}})"), "kernel < 6.8 is false: kernel is 6.8.0-45-generic");
  EXPECT_FALSE(fails(R"({"nic_driver": "mlx5*"})"));
  EXPECT_TRUE(fails(R"({"nic_driver": ["i40e", "ice"]})"));
  EXPECT_FALSE(fails(R"({"cpus": {">=": 4, "<": 128}})"));
  EXPECT_FALSE(fails(R"({"any": [{"virtualized": true}, {"cgroup_mode": "unified"}]})"));
  EXPECT_TRUE(fails(R"({"not": {"cgroup_mode": ["unified", "hybrid"]}})"));
  EXPECT_TRUE(fails(R"({"cpus": 64, "virtualized": true})"));
}

TEST(Conditions, UnknownFactsMakeClausesFalse) {
  HostFacts none;
  EXPECT_EQ(*condition_fails(json::parse(R"({"numa_nodes": {">": 1}})"), none), "numa_nodes is unknown on this host");
  EXPECT_TRUE(condition_fails(json::parse(R"({"virtualized": false})"), none));
}

TEST(Conditions, GrammarIsStrict) {
  EXPECT_EQ(invalid(R"({"numa_nodes": {">": 1}})"), "(valid)");
  EXPECT_EQ(invalid(R"({"numa_nodes": {"=>": 1}})"), "/when/numa_nodes/=>: unknown operator '=>' (known: ==, !=, <, <=, >, >=)");
  EXPECT_EQ(invalid(R"({"numa_nodes": "2"})"), "/when/numa_nodes: must be an integer, got \"2\"");
  EXPECT_EQ(invalid(R"({"kernel": {">=": 5.1}})"), "/when/kernel/>=: must be a version string such as \"5.10\", got 5.1");
  EXPECT_EQ(invalid(R"({"kernel": {">=": "5.10-rc1"}})").rfind("/when/kernel/>=: must be a version", 0), 0u);
  EXPECT_EQ(invalid(R"({"virtualized": 0})"), "/when/virtualized: must be true or false, got 0");
  EXPECT_EQ(invalid(R"({"cgroup_mode": "v3"})"), "/when/cgroup_mode: must be one of unified, hybrid, legacy, got \"v3\"");
  EXPECT_EQ(invalid(R"({})"), "/when: empty condition");
  EXPECT_EQ(invalid(R"({"any": []})"), "/when/any: must be a non-empty list of conditions");
  EXPECT_EQ(invalid(R"({"all": [{"gpu": 1}]})").rfind("/when/all/0/gpu: unknown condition 'gpu'", 0), 0u);
}

TEST(Conditions, KnobExistsAsksTheHostAndNamesTheKnob) {
  HostFacts f;
  f.knob_exists = [](const std::string& address) { return address == "sysctl:net.netfilter.nf_conntrack_max"; };
  const json one = json::parse(R"({"knob_exists": "sysctl:net.netfilter.nf_conntrack_max"})");
  EXPECT_FALSE(condition_fails(one, f));
  const json both = json::parse(R"({"knob_exists": ["sysctl:net.netfilter.nf_conntrack_max", "thp:enabled"]})");
  EXPECT_EQ(*condition_fails(both, f), "thp:enabled does not exist on this host");
  EXPECT_EQ(*condition_fails(one, HostFacts{}), "whether sysctl:net.netfilter.nf_conntrack_max exists is unknown here");
  EXPECT_EQ(describe_condition(both), "sysctl:net.netfilter.nf_conntrack_max and thp:enabled exist");
  EXPECT_EQ(invalid(R"({"knob_exists": "sysctl:vm.swappiness"})"), "(valid)");
  EXPECT_EQ(invalid(R"({"knob_exists": "sysctl:kernel.core_pattern"})").rfind("/when/knob_exists: ", 0), 0u);
  EXPECT_EQ(invalid(R"({"knob_exists": ["thp:enabled", 3]})"),
            "/when/knob_exists/1: must be a knob address of at most 256 characters, got 3");
  EXPECT_EQ(invalid(R"({"knob_exists": []})"), "/when/knob_exists: must list 1 to 64 knobs");
}

TEST(Conditions, Describe) {
  EXPECT_EQ(describe_condition(json::parse(R"({"kernel": {">=": "5.10"}, "virtualized": false})")),
            "kernel >= 5.10 and virtualized == false");
}

}  // namespace
}  // namespace tunectl
