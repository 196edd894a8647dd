// tunectl export --format sysctl.d on a copy of the fixture host: one `key = value` line per
// sysctl, every other knob listed as not expressible with its reason, unknown formats refused.
#include <gtest/gtest.h>

#include <sstream>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/apply/export_native.h"

namespace tunectl {
namespace {

using test::TempTree;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

struct ExportTree : ::testing::Test {
  TempTree tmp;
  std::string root = tmp.copy_fixture("vm");
  ExportRequest req() const {
    ExportRequest r;
    r.profile = tmp.path() + "/p/mixed.json";
    r.root = root;
    return r;
  }
};

TEST_F(ExportTree, SysctlsBecomeLinesEverythingElseIsListedWithWhy) {
  tmp.write("p/mixed.json", R"({"sysctl": {"net.core.somaxconn": 8192, "net.ipv4.tcp_rmem": "4096 87380 16777216"},
                                "thp": {"enabled": "never"}})");
  const NativeExport e = export_native(req());
  EXPECT_EQ(e.format, "sysctl.d");
  EXPECT_EQ(e.profile, "mixed");
  ASSERT_EQ(e.settings.size(), 2u);
  ASSERT_EQ(e.not_expressible.size(), 1u);
  EXPECT_EQ(e.not_expressible[0].knob, "thp:enabled");
  EXPECT_EQ(e.not_expressible[0].value, "never");
  EXPECT_NE(e.not_expressible[0].reason.find("not a sysctl"), std::string::npos);

  std::vector<std::string> settings;
  for (const auto& l : lines_of(e.text))
    if (!l.empty() && l[0] != '#') settings.push_back(l);
  EXPECT_EQ(settings,
            (std::vector<std::string>{"net.core.somaxconn = 8192", "net.ipv4.tcp_rmem = 4096 87380 16777216"}));
  EXPECT_TRUE(e.settings[0].per_netns && e.settings[1].per_netns);
  EXPECT_NE(e.text.find("#   net.core.somaxconn, net.ipv4.tcp_rmem\n"), std::string::npos) << e.text;
  EXPECT_NE(e.text.find("#   thp:enabled = never: a sysfs file"), std::string::npos) << e.text;
  EXPECT_EQ(e.text.back(), '\n');
}

TEST_F(ExportTree, UnknownFormatIsAnInputErrorNamingTheKnownOnes) {
  tmp.write("p/mixed.json", R"({"sysctl": {"net.core.somaxconn": 8192}})");
  ExportRequest r = req();
  r.format = "yaml";
  try {
    export_native(r);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("known: sysctl.d"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tunectl
