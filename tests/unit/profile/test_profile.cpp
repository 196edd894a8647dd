// Profiles: extends order, cycles, null removal, exact validation messages, the built-ins.
#include <gtest/gtest.h>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/profile/profile.h"
#include "tuner/profile/profile_schema.h"
#include "core/sha256.h"

namespace tunectl {
namespace {

using test::TempTree;

std::string error_of(const std::string& text, const std::string& file, const std::vector<std::string>& dirs = {}) {
  try {
    load_profile_from_text(text, file, dirs);
  } catch (const ProfileError& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(Profile, ExtendsLaterWinsAndRecordsOrigins) {
  TempTree t;
  t.write("one.json", R"({"sysctl": {"net.core.somaxconn": 1000, "net.ipv4.tcp_fin_timeout": 30}})");
  t.write("two.json", R"({"sysctl": {"net.core.somaxconn": {"value": 2000, "why": "two"}}})");
  t.write("top.json", R"({"extends": ["one", "two"], "sysctl": {"net.ipv4.tcp_keepalive_time": 60}})");
  Profile p = load_profile(t.path() + "/top.json", {});
  EXPECT_EQ(p.name, "top");
  EXPECT_EQ(p.resolved["sysctl"]["net.core.somaxconn"]["value"], 2000);
  EXPECT_EQ(p.resolved["sysctl"]["net.core.somaxconn"]["why"], "two");
  EXPECT_EQ(p.resolved["sysctl"]["net.ipv4.tcp_fin_timeout"]["value"], 30);
  EXPECT_EQ(p.resolved["sysctl"]["net.ipv4.tcp_keepalive_time"]["value"], 60);
  EXPECT_EQ(p.origins.at("/sysctl/net.core.somaxconn"), t.path() + "/two.json");
  EXPECT_EQ(p.origins.at("/sysctl/net.ipv4.tcp_fin_timeout"), t.path() + "/one.json");
  EXPECT_EQ(p.files, (std::vector<std::string>{t.path() + "/one.json", t.path() + "/two.json", t.path() + "/top.json"}));

  t.write("rev.json", R"({"extends": ["two", "one"]})");
  EXPECT_EQ(load_profile(t.path() + "/rev.json", {}).resolved["sysctl"]["net.core.somaxconn"]["value"], 1000);
}

TEST(Profile, NullRemovesInheritedItemsAndPoliciesAreReplacedWhole) {
  TempTree t;
  t.write("base.json", R"({"sysctl": {"net.core.somaxconn": 1000},
                           "irq": {"policy": "numa-local", "cpus": "0-3"}})");
  t.write("child.json", R"({"extends": ["base"], "sysctl": {"net.core.somaxconn": null},
                            "irq": {"policy": "spread"}})");
  Profile p = load_profile(t.path() + "/child.json", {});
  EXPECT_FALSE(p.resolved["sysctl"].contains("net.core.somaxconn"));
  EXPECT_EQ(p.resolved["irq"], (json{{"policy", "spread"}, {"nics", {"*"}}, {"cpus", "housekeeping"},
                                      {"avoid_smt_siblings", true}, {"exclude_isolated", true}}));
  EXPECT_EQ(p.origins.count("/sysctl/net.core.somaxconn"), 0u);
}

TEST(Profile, CyclesAreErrors) {
  TempTree t;
  t.write("a.json", R"({"extends": ["b"]})");
  t.write("b.json", R"({"extends": ["c"]})");
  t.write("c.json", R"({"extends": ["a"]})");
  EXPECT_THROW(load_profile(t.path() + "/a.json", {}), ProfileError);
  try {
    load_profile(t.path() + "/a.json", {});
  } catch (const ProfileError& e) {
    EXPECT_EQ(std::string(e.what()), t.path() + "/c.json: /extends/0: extends cycle: a -> b -> c -> a");
  }
  t.write("self.json", R"({"extends": ["self"]})");
  EXPECT_EQ(error_of(R"({"extends": ["self"]})", t.path() + "/self.json"),
            t.path() + "/self.json: /extends/0: extends cycle: self -> self");
}

TEST(Profile, DiamondIsNotACycle) {
  TempTree t;
  t.write("root.json", R"({"sysctl": {"net.core.somaxconn": 1000}})");
  t.write("l.json", R"({"extends": ["root"]})");
  t.write("r.json", R"({"extends": ["root"]})");
  t.write("top.json", R"({"extends": ["l", "r"]})");
  EXPECT_EQ(load_profile(t.path() + "/top.json", {}).resolved["sysctl"]["net.core.somaxconn"]["value"], 1000);
}

TEST(Profile, ValidationMessagesAreExact) {
  EXPECT_EQ(error_of(R"({"sysctl": {"net.ipv4.tcp_fin_timeout": -5}})", "profiles/x.json"),
            "profiles/x.json: /sysctl/net.ipv4.tcp_fin_timeout: must be 1..120, got -5");
  EXPECT_EQ(error_of(R"({"sysctl": {"net.ipv4.tcp_fin_timeout": {"value": 0, "why": "w"}}})", "x.json"),
            "x.json: /sysctl/net.ipv4.tcp_fin_timeout/value: must be 1..120, got 0");
  EXPECT_EQ(error_of(R"({"sysctl": {}, "thp": {}, "bogus": 1})", "x.json"),
            "x.json: /bogus: unknown key 'bogus' (known: description, extends, sysctl, thp, irq, rps, xps, nic, "
            "cgroups, cpu_power, pstate, boot, verify)");
  EXPECT_EQ(error_of(R"({"irq": {"policy": "spread", "cpus": "3-1"}})", "x.json").rfind("x.json: /irq/cpus: ", 0), 0u);
  EXPECT_EQ(error_of(R"({"cgroups": {"/a/../b": {"cpu.max": "max"}}})", "x.json"),
            "x.json: /cgroups/~1a~1..~1b: cgroup path must not contain '..' (path traversal)");
  EXPECT_EQ(error_of(R"({"sysctl": {"net.core.somaxconn": 1, "net.core.somaxconn": 2}})", "x.json"),
            "x.json: /sysctl/net.core.somaxconn: duplicate key");
  EXPECT_EQ(error_of("{\"a\": [1, 2", "x.json").rfind("x.json: /a/2: invalid JSON: ", 0), 0u);
  EXPECT_EQ(error_of(R"({"extends": ["nope"]})", "x.json", {}), "x.json: /extends/0: unknown profile 'nope'");
}

TEST(Profile, SectionWhenAndSourceArePushedIntoSettings) {
  Profile p = load_profile_from_text(R"({"sysctl": {"when": {"numa_nodes": {">": 1}}, "source": "doc",
      "net.core.somaxconn": {"value": 1024, "when": {"virtualized": false}}}})", "x.json", {});
  const json& s = p.resolved["sysctl"]["net.core.somaxconn"];
  EXPECT_EQ(s["source"], "doc");
  EXPECT_EQ(s["when"], (json{{"all", {{{"numa_nodes", {{">", 1}}}}, {{"virtualized", false}}}}}));
  EXPECT_FALSE(p.resolved["sysctl"].contains("when"));
}

TEST(Profile, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Two blocks: the length no longer fits after the terminator in the first.
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Profile, DigestFollowsTheResolvedContent) {
  Profile a = load_profile_from_text(R"({"sysctl": {"net.core.somaxconn": 1024}})", "a.json", {});
  Profile b = load_profile_from_text(R"({"sysctl": {"net.core.somaxconn": 1024}})", "b.json", {});
  Profile c = load_profile_from_text(R"({"sysctl": {"net.core.somaxconn": 2048}})", "c.json", {});
  EXPECT_EQ(a.digest.size(), 64u);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_NE(a.digest, c.digest);
}

TEST(Profile, BuiltinsLoadWithWhyAndSourceOnEverySetting) {
  const std::vector<std::string> dirs = {std::string(TUNECTL_SOURCE_DIR) + "/profiles"};
  const auto names = list_profiles(dirs);
  EXPECT_EQ(names, (std::vector<std::string>{"api-gateway", "balanced", "container-host", "latency", "throughput"}));
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    Profile p = load_profile(name, dirs);
    EXPECT_FALSE(p.description.empty());
    for (const auto& [sec, v] : p.resolved.items()) {
      if (sec == "sysctl" || sec == "thp")
        for (const auto& [k, s] : v.items()) {
          EXPECT_TRUE(s.contains("why") && s.contains("source")) << sec << ":" << k;
        }
      if (sec == "irq" || sec == "rps" || sec == "xps") {
        EXPECT_TRUE(v.contains("why") && v.contains("source")) << sec;
      }
      if (sec == "cgroups")
        for (const auto& [path, g] : v.items())
          for (const auto& [f, s] : g.items()) {
            if (s.is_object()) {
              EXPECT_TRUE(s.contains("why") && s.contains("source")) << path << f;
            }
          }
    }
  }
}

}  // namespace
}  // namespace tunectl
