// The section registry: every profile section comes from the knob kind that owns it, and the
// schema, merge and planner know no section by name.
#include <gtest/gtest.h>

#include <set>

#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/section.h"
#include "tuner/profile/profile.h"
#include "tests/unit/test_helpers.h"

namespace tunectl {
namespace {

TEST(Sections, EachKindDeclaresCompleteSectionsWithUniqueNames) {
  std::vector<std::string> names;
  for (const ProfileSection* s : profile_sections()) {
    names.push_back(s->name);
    EXPECT_TRUE(s->collect) << s->name;
    if (s->shape == SectionShape::kPolicy) {
      EXPECT_TRUE(s->canonical_policy) << s->name;
    } else {
      EXPECT_TRUE(s->check_key && s->address) << s->name;
      if (s->shape == SectionShape::kGrouped) {
        EXPECT_TRUE(s->check_field) << s->name;
      }
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"sysctl", "thp", "irq", "rps", "xps", "nic", "cgroups", "cpu_power", "pstate", "boot"}));
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  EXPECT_EQ(find_section("cgroups")->group_flags, std::vector<std::string>{"create"});
  EXPECT_EQ(find_section("verify"), nullptr);  // the profile's own section, not a kind's
}

TEST(Sections, UnknownTopLevelKeyListsTheRegisteredSections) {
  try {
    load_profile_from_text(R"({"sysctls": {}})", "p.json", {});
    FAIL() << "accepted an unknown section";
  } catch (const ProfileError& e) {
    EXPECT_EQ(std::string(e.what()),
              "p.json: /sysctls: unknown key 'sysctls' (known: description, extends, sysctl, thp, irq, rps, xps, nic, "
              "cgroups, cpu_power, pstate, boot, verify)");
  }
}

TEST(Sections, GroupedSectionsMergeFieldByFieldAndPoliciesWhole) {
  // Two layers of one grouped section: the child's field wins, the parent's other field stays.
  const test::TempTree tmp;  // 0700: as root, profiles in a directory others can write are refused
  const std::string dir = tmp.path();
  FILE* f = std::fopen((dir + "/parent-sec.json").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(R"({"cgroups": {"/a": {"create": true, "cpu.max": "max 100000", "cpu.weight": 50}},
                 "irq": {"policy": "spread", "cpus": "all"}})", f);
  std::fclose(f);
  const Profile p = load_profile_from_text(R"({"extends": ["parent-sec"], "cgroups": {"/a": {"cpu.weight": 200}},
                                               "irq": {"policy": "numa-local"}})",
                                           dir + "/child.json", {});
  EXPECT_EQ(p.resolved["cgroups"]["/a"]["cpu.weight"]["value"], 200);
  EXPECT_EQ(p.resolved["cgroups"]["/a"]["cpu.max"]["value"], "max 100000");
  EXPECT_EQ(p.resolved["cgroups"]["/a"]["create"], true);
  EXPECT_EQ(p.resolved["irq"]["policy"], "numa-local");
  EXPECT_EQ(p.resolved["irq"]["cpus"], "housekeeping");  // replaced whole: the parent's "all" is gone
  EXPECT_EQ(p.origins.at("/cgroups/~1a/cpu.max"), dir + "/parent-sec.json");
  EXPECT_EQ(p.origins.at("/cgroups/~1a/cpu.weight"), dir + "/child.json");
}

}  // namespace
}  // namespace tunectl
