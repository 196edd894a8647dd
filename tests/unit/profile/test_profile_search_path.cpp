// Profile names: the search path (--profile-path / $TUNECTL_PROFILE_PATH, the site dir, the
// built-ins), shadowing, a listing that survives one bad file, the as-root ownership rule, and
// conflicts between the parents of an extends list.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/profile/profile.h"

namespace tunectl {
namespace {

using test::TempTree;

constexpr const char* kSomaxconn = R"({"description": "%", "sysctl": {"net.core.somaxconn": 1000}})";

std::string profile_text(const std::string& description) {
  std::string s = kSomaxconn;
  return s.replace(s.find('%'), 1, description);
}

// Three directories standing for --profile-path, /etc/tunectl/profiles and the built-ins (0755, so
// the as-root rule accepts them whatever the umask).
struct ThreeDirs {
  TempTree t;
  std::string user = t.path() + "/user", site = t.path() + "/site", builtin = t.path() + "/builtin";
  ThreeDirs() {
    for (const auto& d : {user, site, builtin}) {
      ::mkdir(d.c_str(), 0755);
      ::chmod(d.c_str(), 0755);
    }
  }
  std::vector<std::string> dirs() const { return profile_search_dirs(user, site, builtin); }
};

TEST(ProfileSearchPath, OptionThenSiteThenBuiltinsWithEmptiesAndRepeatsDropped) {
  test::EnvVar env("TUNECTL_PROFILE_PATH", "/from/env");
  EXPECT_EQ(profile_search_dirs(std::string("/a::/b/:/a"), "/site", "/builtin"),
            (std::vector<std::string>{"/a", "/b", "/site", "/builtin"}));
  // The option replaces the environment; without it the environment is used.
  EXPECT_EQ(profile_search_dirs(std::nullopt, "/site", "/builtin"),
            (std::vector<std::string>{"/from/env", "/site", "/builtin"}));
  EXPECT_EQ(profile_search_dirs(std::string(""), "/site", "/builtin"), (std::vector<std::string>{"/site", "/builtin"}));
  EXPECT_EQ(profile_search_dirs(std::string("/site"), "/site", "/builtin"),
            (std::vector<std::string>{"/site", "/builtin"}));
}

TEST(ProfileSearchPath, TheDefaultIsTheSiteDirThenThisSourceTreesProfilesForABuildTreeBinary) {
  test::EnvVar env("TUNECTL_PROFILE_PATH", nullptr);
  // unit_tests runs from the build directory, so its built-ins are the source tree's.
  EXPECT_EQ(builtin_profile_dir(), std::string(TUNECTL_SOURCE_DIR) + "/profiles");
  EXPECT_EQ(default_profile_dirs(), (std::vector<std::string>{kSiteProfileDir, std::string(TUNECTL_SOURCE_DIR) + "/profiles"}));
}

TEST(ProfileSearchPath, TheFirstDirWinsAndTheLaterSameNamedFilesAreReportedAsShadowed) {
  ThreeDirs d;
  d.t.write("user/latency.json", profile_text("user"));
  d.t.write("site/latency.json", profile_text("site"));
  d.t.write("builtin/latency.json", profile_text("builtin"));
  d.t.write("site/gateway.json", profile_text("site gateway"));
  d.t.write("builtin/balanced.json", profile_text("builtin balanced"));

  const Profile p = load_profile("latency", d.dirs());
  EXPECT_EQ(p.path, d.user + "/latency.json");
  EXPECT_EQ(p.description, "user");
  EXPECT_EQ(p.shadows, (std::vector<std::string>{d.site + "/latency.json", d.builtin + "/latency.json"}));
  EXPECT_EQ(profile_json(p)["shadows"], json(p.shadows));

  const Profile g = load_profile("gateway", d.dirs());
  EXPECT_EQ(g.path, d.site + "/gateway.json");
  EXPECT_TRUE(g.shadows.empty());
  EXPECT_TRUE(load_profile("balanced", d.dirs()).shadows.empty());
  EXPECT_EQ(list_profiles(d.dirs()), (std::vector<std::string>{"balanced", "gateway", "latency"}));

  // The same directory reached twice (a link to it) hides nothing.
  d.t.symlink(d.site, "site-again");
  EXPECT_TRUE(load_profile("gateway", {d.site, d.t.path() + "/site-again"}).shadows.empty());
}

TEST(ProfileSearchPath, AnythingAtNameJsonTakesTheNameSoAFifoThereIsAnErrorNotAFallThrough) {
  ThreeDirs d;
  d.t.fifo("site/latency.json");
  ::chmod((d.site + "/latency.json").c_str(), 0644);
  d.t.write("builtin/latency.json", profile_text("builtin"));
  bool returned = test::returns_promptly(
      [&] {
        try {
          load_profile("latency", d.dirs());
          ADD_FAILURE() << "loaded";
        } catch (const ProfileError& e) {
          EXPECT_EQ(std::string(e.what()), d.site + "/latency.json: not a regular file (FIFO)");
        }
      },
      d.site + "/latency.json");
  EXPECT_TRUE(returned);
}

TEST(ProfileSearchPath, OneInvalidFileIsListedWithItsErrorAndTheOthersStillLoad) {
  ThreeDirs d;
  d.t.write("site/broken.json", R"({"sysctl": {"net.ipv4.tcp_fin_timeout": -5}})");
  d.t.write("site/notjson.json", "{");
  d.t.write("site/latency.json", profile_text("site"));
  d.t.write("builtin/latency.json", profile_text("builtin"));
  d.t.write("builtin/balanced.json", profile_text("builtin balanced"));

  const auto entries = scan_profiles(d.dirs());
  ASSERT_EQ(entries.size(), 4u);
  std::map<std::string, const ProfileEntry*> by;
  for (const auto& e : entries) by[e.name] = &e;
  ASSERT_EQ(by.size(), 4u);
  EXPECT_FALSE(by["broken"]->profile);
  EXPECT_EQ(by["broken"]->error, d.site + "/broken.json: /sysctl/net.ipv4.tcp_fin_timeout: must be 1..120, got -5");
  EXPECT_EQ(by["broken"]->exit_code, kExitUsage);
  EXPECT_FALSE(by["notjson"]->profile);
  EXPECT_EQ(by["notjson"]->error.rfind(d.site + "/notjson.json: ", 0), 0u) << by["notjson"]->error;
  ASSERT_TRUE(by["latency"]->profile);
  EXPECT_EQ(by["latency"]->dir, d.site);
  EXPECT_EQ(by["latency"]->shadows, (std::vector<std::string>{d.builtin + "/latency.json"}));
  EXPECT_EQ(by["latency"]->profile->shadows, by["latency"]->shadows);
  ASSERT_TRUE(by["balanced"]->profile);
  EXPECT_EQ(by["balanced"]->dir, d.builtin);
}

// --- as root: profiles someone else can change are refused ---------------------------------------

std::string refusal(const std::string& name_or_path, const std::vector<std::string>& dirs) {
  try {
    load_profile(name_or_path, dirs);
  } catch (const NotPermitted& e) {
    EXPECT_EQ(e.exit_code(), kExitNotPermitted);
    return e.what();
  }
  return "(loaded)";
}

TEST(ProfileTrustAsRoot, AFileOrDirectoryOthersCanWriteOrOwnIsRefused) {
  ASSERT_EQ(::geteuid(), 0u) << "the unit tests run as root (scripts/test.sh)";
  ThreeDirs d;
  d.t.write("user/ok.json", profile_text("ok"));
  EXPECT_EQ(load_profile("ok", d.dirs()).description, "ok");  // root's 0644 file in a 0755 dir

  d.t.write("user/groupw.json", profile_text("x"), 0664);
  EXPECT_EQ(refusal("groupw", d.dirs()),
            d.user + "/groupw.json: writable by group or others (mode 0664); running as root, profiles must be "
                     "changeable by root only");

  d.t.write("user/nobody.json", profile_text("x"));
  ASSERT_EQ(::chown((d.user + "/nobody.json").c_str(), 65534, 65534), 0);
  EXPECT_EQ(refusal("nobody", d.dirs()),
            d.user + "/nobody.json: owned by uid 65534; running as root, profiles must be changeable by root only");
  // The same file by path: the rule is about the file, however it is named.
  EXPECT_NE(refusal(d.user + "/nobody.json", d.dirs()).find("owned by uid 65534"), std::string::npos);

  d.t.write("open/x.json", profile_text("x"));
  ::chmod((d.t.path() + "/open").c_str(), 0777);
  EXPECT_EQ(refusal("x", {d.t.path() + "/open"}),
            d.t.path() + "/open/x.json: its directory " + d.t.path() +
                "/open is writable by group or others (mode 0777); running as root, profiles must be changeable by "
                "root only");
  ::chmod((d.t.path() + "/open").c_str(), 01777);  // sticky like /tmp: still anyone's to fill
  EXPECT_NE(refusal(d.t.path() + "/open/x.json", {}).find("mode 1777"), std::string::npos);
}

TEST(ProfileTrustAsRoot, AnExtendsParentInAnUntrustedDirectoryIsRefusedToo) {
  ASSERT_EQ(::geteuid(), 0u) << "the unit tests run as root (scripts/test.sh)";
  ThreeDirs d;
  d.t.write("user/child.json", R"({"extends": ["parent"]})");
  d.t.write("site/parent.json", profile_text("parent"));
  ::chmod(d.site.c_str(), 0777);
  EXPECT_NE(refusal("child", d.dirs()).find(d.site + "/parent.json: its directory"), std::string::npos);
  // Listed with its error, the listing goes on.
  const auto entries = scan_profiles(d.dirs());
  ASSERT_EQ(entries.size(), 2u);
  for (const auto& e : entries) EXPECT_EQ(e.exit_code, kExitNotPermitted) << e.name;
}

TEST(ProfileTrustAsRoot, ALinkInATrustedDirectoryToAFileInAnUntrustedOneIsRefused) {
  ASSERT_EQ(::geteuid(), 0u) << "the unit tests run as root (scripts/test.sh)";
  ThreeDirs d;
  d.t.write("open/real.json", profile_text("x"));
  ::chmod((d.t.path() + "/open").c_str(), 0777);
  d.t.symlink(d.t.path() + "/open/real.json", "user/linked.json");
  EXPECT_NE(refusal("linked", d.dirs()).find("its directory " + d.t.path() + "/open is writable"), std::string::npos);
}

// --- conflicts between the parents of an extends list --------------------------------------------

TEST(ExtendsConflicts, TwoParentsSettingOneKeyDifferentlyAreReportedWithTheWinnerAndWhy) {
  TempTree t;
  t.write("a.json", R"({"thp": {"enabled": {"value": "never", "why": "a"}},
                        "sysctl": {"net.core.somaxconn": 1000, "net.ipv4.tcp_fin_timeout": 30}})");
  t.write("b.json", R"({"thp": {"enabled": {"value": "madvise", "why": "b"}},
                        "sysctl": {"net.core.somaxconn": {"value": 1000, "why": "same value, other words"}}})");
  t.write("top.json", R"({"extends": ["a", "b"]})");
  const Profile p = load_profile(t.path() + "/top.json", {});
  ASSERT_EQ(p.conflicts.size(), 1u);  // somaxconn agrees: not a conflict
  const ExtendsConflict& c = p.conflicts[0];
  EXPECT_EQ(c.setting, "/thp/enabled");
  EXPECT_EQ(c.in, t.path() + "/top.json");
  ASSERT_EQ(c.values.size(), 2u);
  EXPECT_EQ(c.values[0].file, t.path() + "/a.json");
  EXPECT_EQ(c.values[0].value, "never");
  EXPECT_EQ(c.values[1].file, t.path() + "/b.json");
  EXPECT_EQ(c.values[1].value, "madvise");
  EXPECT_EQ(c.won, t.path() + "/b.json");
  EXPECT_EQ(c.why, "later in extends wins");
  EXPECT_EQ(p.resolved["thp"]["enabled"]["value"], "madvise");
  EXPECT_EQ(profile_json(p)["conflicts"][0]["why"], "later in extends wins");

  t.write("own.json", R"({"extends": ["a", "b"], "thp": {"enabled": "always"}})");
  const Profile own = load_profile(t.path() + "/own.json", {});
  ASSERT_EQ(own.conflicts.size(), 1u);
  EXPECT_EQ(own.conflicts[0].won, t.path() + "/own.json");
  EXPECT_EQ(own.conflicts[0].why, "set by " + t.path() + "/own.json itself");

  t.write("one.json", R"({"extends": ["a"]})");
  EXPECT_TRUE(load_profile(t.path() + "/one.json", {}).conflicts.empty());
}

TEST(ExtendsConflicts, LatencyAndContainerHostDisagreeOnTHPAndTheLaterOneWins) {
  TempTree t;
  t.write("both.json", R"({"extends": ["latency", "container-host"]})");
  const Profile p = load_profile(t.path() + "/both.json", {std::string(TUNECTL_SOURCE_DIR) + "/profiles"});
  const ExtendsConflict* thp = nullptr;
  for (const auto& c : p.conflicts)
    if (c.setting == "/thp/enabled") thp = &c;
  ASSERT_NE(thp, nullptr);
  EXPECT_EQ(thp->values.at(0).value, "never");
  EXPECT_EQ(thp->values.at(1).value, "madvise");
  EXPECT_EQ(thp->won, std::string(TUNECTL_SOURCE_DIR) + "/profiles/container-host.json");
  EXPECT_EQ(thp->why, "later in extends wins");
}

TEST(ExtendsConflicts, GroupedSectionsConflictPerField) {
  TempTree t;
  t.write("a.json", R"({"cgroups": {"/x.slice": {"cpu.weight": 100, "cpu.max": "max 100000"}}})");
  t.write("b.json", R"({"cgroups": {"/x.slice": {"cpu.weight": 200, "cpu.max": "max 100000"}}})");
  t.write("top.json", R"({"extends": ["a", "b"]})");
  const Profile p = load_profile(t.path() + "/top.json", {});
  ASSERT_EQ(p.conflicts.size(), 1u);
  EXPECT_EQ(p.conflicts[0].setting, "/cgroups/~1x.slice/cpu.weight");
  EXPECT_EQ(p.conflicts[0].values[1].value, 200);
}

}  // namespace
}  // namespace tunectl
