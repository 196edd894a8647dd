// The knob catalogue (`tunectl knobs`): built from the registry and the sysctl table, so every
// entry is something make_knob accepts, every kind is described, and every sysctl has its range,
// unit, default and documentation.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tuner/knobs/knob.h"
#include "tuner/knobs/knob_catalogue.h"

namespace tunectl {
namespace {

TEST(KnobCatalogue, EveryRegisteredKindIsDescribed) {
  const auto kinds = knob_kind_catalogue();
  ASSERT_EQ(kinds.size(), knob_kinds().size());
  for (size_t i = 0; i < kinds.size(); ++i) {
    const auto& k = kinds[i];
    EXPECT_EQ(k.prefix, knob_kinds()[i].prefix);
    EXPECT_FALSE(k.writes.empty()) << k.prefix << " has no 'writes' text in knob_catalogue.cpp";
    EXPECT_FALSE(k.netns.empty()) << k.prefix;
    EXPECT_FALSE(k.phase.empty()) << k.prefix;
    EXPECT_EQ(k.address.rfind(k.prefix + ":", 0), 0u) << k.address;
  }
  EXPECT_EQ(kinds[0].prefix, "sysctl");
  EXPECT_EQ(kinds[0].section, "sysctl");
  EXPECT_EQ(kinds[0].shape, "keyed");
  EXPECT_EQ(kinds[0].phase, "sysctls");
  EXPECT_EQ(kinds[0].netns, "per sysctl");
  std::map<std::string, std::string> seen;  // prefix -> section/shape/phase
  for (const auto& k : kinds) seen[k.prefix] = k.section + "/" + k.shape + "/" + k.phase;
  EXPECT_EQ(seen["irq"], "irq/policy/irq-affinity");
  EXPECT_EQ(seen["cgroup"], "cgroups/grouped/container-limits");
  EXPECT_EQ(seen["cgroup_dir"], "//containers");
  EXPECT_EQ(seen["thp"], "thp/keyed/memory");
}

TEST(KnobCatalogue, EverySysctlIsAllowedAndDocumented) {
  const auto sysctls = sysctl_catalogue();
  std::set<std::string> names;
  for (const auto& s : sysctls) {
    EXPECT_TRUE(names.insert(s.name).second) << "duplicate " << s.name;
    auto knob = make_knob("sysctl:" + s.name);  // throws if the catalogue lists what the allowlist refuses
    EXPECT_EQ(knob->per_netns(), s.per_netns) << s.name;
    EXPECT_FALSE(s.range.empty()) << s.name;
    EXPECT_FALSE(s.unit.empty()) << s.name;
    EXPECT_FALSE(s.default_value.empty()) << s.name;
    EXPECT_EQ(s.doc.rfind("Documentation/", 0), 0u) << s.name << ": " << s.doc;
    EXPECT_EQ(s.doc.size() - s.doc.rfind(".rst"), 4u) << s.name << ": " << s.doc;
    std::string path = s.name;
    for (char& c : path)
      if (c == '.') c = '/';
    EXPECT_EQ(s.path, "/proc/sys/" + path);
    EXPECT_EQ(s.fields > 1, !s.field_names.empty()) << s.name;
  }
  // The ones issue 11 added, with their exact ranges.
  auto find = [&](const std::string& n) {
    for (const auto& s : sysctls)
      if (s.name == n) return s;
    ADD_FAILURE() << n << " not in the catalogue";
    return SysctlInfo{};
  };
  EXPECT_EQ(find("net.ipv4.tcp_congestion_control").range,
            "an algorithm listed in net.ipv4.tcp_available_congestion_control");
  EXPECT_EQ(find("net.core.default_qdisc").range, "one of pfifo_fast, fq, fq_codel, fq_pie, cake, codel, pie, sfq");
  EXPECT_EQ(find("fs.file-max").range, "≥ 8192");
  EXPECT_EQ(find("fs.nr_open").range, "64..2147483584");
  EXPECT_EQ(find("kernel.pid_max").range, "301..4194304");
  EXPECT_EQ(find("net.ipv4.tcp_notsent_lowat").range, "1..4294967295");
  EXPECT_EQ(find("net.ipv4.tcp_notsent_lowat").unit, "bytes");
  EXPECT_EQ(find("net.ipv4.tcp_rmem").field_names, "min default max");
  EXPECT_EQ(find("net.netfilter.nf_conntrack_max").doc, "Documentation/networking/nf_conntrack-sysctl.rst");
  EXPECT_FALSE(find("net.netfilter.nf_conntrack_max").missing.empty());
  for (const char* n : {"net.ipv4.tcp_mtu_probing", "net.core.optmem_max", "vm.overcommit_memory", "vm.dirty_ratio",
                        "vm.dirty_background_ratio"})
    EXPECT_EQ(find(n).name, n);
}

TEST(KnobCatalogue, JsonHasTheSchemaAndBothLists) {
  const json j = knob_catalogue_json();
  EXPECT_EQ(j["schema"], "tunectl.knobs/1");
  EXPECT_EQ(j["kinds"].size(), knob_kinds().size());
  EXPECT_EQ(j["sysctls"].size(), sysctl_catalogue().size());
  const json& first = j["sysctls"][0];
  for (const char* key : {"name", "path", "per_netns", "fields", "field_names", "range", "unit", "default_value", "doc",
                          "missing"})
    EXPECT_TRUE(first.contains(key)) << key;
  EXPECT_EQ(j["kinds"][0]["prefix"], "sysctl");
}

}  // namespace
}  // namespace tunectl
