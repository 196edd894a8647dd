// Persistence on copies of the fixture host: apply --persist records the profile and enables the
// unit inside the tree (nothing when the apply fails or the unit is missing), boot re-applies after
// a simulated reboot in one transaction and then writes nothing, a damaged record is refused with
// exit 7, unpersist removes both (and nothing is fine).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/errors.h"
#include "core/sha256.h"
#include "tests/unit/test_helpers.h"
#include "tuner/apply/boot.h"
#include "tuner/apply/persist.h"
#include "tuner/apply/status.h"

namespace tunectl {
namespace {

using test::TempTree;
using test::tree_state;
namespace fs = std::filesystem;

constexpr const char* kUnitRel = "vm/lib/systemd/system/tunectl-boot.service";
constexpr const char* kRecordRel = "vm/etc/tunectl/persisted.json";
constexpr const char* kLinkRel = "vm/etc/systemd/system/multi-user.target.wants/tunectl-boot.service";

struct PersistTree : ::testing::Test {
  TempTree tmp;
  std::string root = tmp.copy_fixture("vm");
  std::string state = tmp.path() + "/state";
  std::string profile = tmp.path() + "/profiles/web.json";

  PersistTree() {
    tmp.write("profiles/web.json", R"({"sysctl": {"net.core.somaxconn": 8192, "net.ipv4.tcp_fin_timeout": 30}})");
    tmp.write(kUnitRel, "[Service]\nExecStart=/usr/bin/tunectl boot\n");
  }
  ApplyRequest request() const {
    ApplyRequest req;
    req.profile = profile;
    req.root = root;
    req.state_dir = state;
    return req;
  }
  bool exists(const std::string& rel) const { return fs::exists(fs::symlink_status(tmp.path() + "/" + rel)); }
  BootResult run_boot() const {
    BootRequest b;
    b.root = root;
    b.state_dir = state;
    return boot(b);
  }
};

TEST_F(PersistTree, ApplyPersistRecordsTheResolvedBodyAndEnablesTheUnitInsideTheTree) {
  std::optional<PersistResult> persisted;
  const Transaction tx = apply_and_persist(request(), persisted);
  ASSERT_EQ(tx.state, TxState::kApplied) << tx.error.value_or("");
  ASSERT_TRUE(persisted);
  EXPECT_EQ(persisted->unit, "/lib/systemd/system/tunectl-boot.service");
  EXPECT_EQ(fs::read_symlink(tmp.path() + "/" + kLinkRel), "/lib/systemd/system/tunectl-boot.service");
  const auto rec = read_persisted(Host(root));
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->profile, "web");
  EXPECT_EQ(rec->digest, tx.profile_digest);
  EXPECT_EQ(rec->digest, sha256_hex(rec->resolved.dump()));
  EXPECT_EQ(rec->source, fs::canonical(profile).string());
  EXPECT_EQ(rec->resolved["sysctl"]["net.core.somaxconn"]["value"], 8192);
  EXPECT_EQ(fs::status(tmp.path() + "/" + kRecordRel).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  // No temporary file left next to the record or the link.
  for (const auto& dir : {"vm/etc/tunectl", "vm/etc/systemd/system/multi-user.target.wants"})
    EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path() + "/" + dir), fs::directory_iterator()), 1) << dir;
}

TEST_F(PersistTree, WritesStayInsideTheTreeWhenItsEtcIsAnAbsoluteSymlink) {
  // In a tree, "/etc -> /elsewhere" means the tree's /elsewhere, never the live one.
  fs::create_directories(tmp.path() + "/vm/elsewhere");
  fs::create_symlink("/elsewhere", tmp.path() + "/vm/etc");
  std::optional<PersistResult> persisted;
  ASSERT_EQ(apply_and_persist(request(), persisted).state, TxState::kApplied);
  EXPECT_TRUE(fs::exists(tmp.path() + "/vm/elsewhere/tunectl/persisted.json"));
  EXPECT_TRUE(fs::is_symlink(tmp.path() + "/vm/elsewhere/systemd/system/multi-user.target.wants/tunectl-boot.service"));
  EXPECT_FALSE(fs::exists("/elsewhere"));
  EXPECT_TRUE(read_persisted(Host(root)).has_value());
}

TEST_F(PersistTree, MissingUnitRefusesBeforeAnythingIsWritten) {
  fs::remove(tmp.path() + "/" + kUnitRel);
  const auto before = tree_state(root);
  std::optional<PersistResult> persisted;
  EXPECT_THROW(apply_and_persist(request(), persisted), InputError);
  EXPECT_FALSE(persisted);
  EXPECT_EQ(tree_state(root), before);
  EXPECT_FALSE(fs::exists(state));
}

TEST_F(PersistTree, RefusedApplyPersistsNothing) {
  tmp.write("profiles/web.json", R"({"sysctl": {"net.core.somaxconn": -1}})");
  std::optional<PersistResult> persisted;
  EXPECT_THROW(apply_and_persist(request(), persisted), ProfileError);
  EXPECT_FALSE(exists(kRecordRel));
  EXPECT_FALSE(exists(kLinkRel));
}

TEST_F(PersistTree, BootAfterRebootReappliesInOneTransactionThenWritesNothing) {
  std::optional<PersistResult> persisted;
  ASSERT_EQ(apply_and_persist(request(), persisted).state, TxState::kApplied);
  // The reboot: the kernel's defaults are back.
  tmp.write("vm/proc/sys/net/core/somaxconn", "4096\n");
  const BootResult first = run_boot();
  EXPECT_FALSE(first.matched);
  ASSERT_EQ(first.tx.state, TxState::kApplied) << first.message;
  ASSERT_EQ(first.tx.changes.size(), 1u);
  EXPECT_EQ(first.tx.changes[0].knob, "sysctl:net.core.somaxconn");
  EXPECT_EQ(tmp.read("vm/proc/sys/net/core/somaxconn"), "8192\n");
  EXPECT_NE(first.message.find("re-applied web"), std::string::npos) << first.message;

  const auto tree = tree_state(root), journals = tree_state(state);
  const BootResult again = run_boot();
  EXPECT_TRUE(again.matched);
  EXPECT_EQ(again.message, "host matches web (sha256 " + first.record.digest.substr(0, 12) + "); nothing written");
  EXPECT_EQ(tree_state(root), tree);
  EXPECT_EQ(tree_state(state), journals);
}

TEST_F(PersistTree, BootOnAMatchingHostCreatesNoStateDir) {
  std::optional<PersistResult> persisted;
  ASSERT_EQ(apply_and_persist(request(), persisted).state, TxState::kApplied);
  fs::remove_all(state);
  EXPECT_TRUE(run_boot().matched);
  EXPECT_FALSE(fs::exists(state));
}

TEST_F(PersistTree, MissingOrDamagedRecordIsExit7AndWritesNothing) {
  try {
    run_boot();
    FAIL() << "boot without a record";
  } catch (const PersistRecordError& e) {
    EXPECT_EQ(e.exit_code(), 7);
    EXPECT_NE(std::string(e.what()).find("/etc/tunectl/persisted.json does not exist"), std::string::npos);
  }
  std::optional<PersistResult> persisted;
  ASSERT_EQ(apply_and_persist(request(), persisted).state, TxState::kApplied);
  tmp.write("vm/proc/sys/net/core/somaxconn", "4096\n");
  // Changed by hand: the body no longer has the recorded digest.
  std::string text = tmp.read(kRecordRel);
  text.replace(text.find("8192"), 4, "9999");
  tmp.write(kRecordRel, text);
  const auto before = tree_state(root);
  try {
    run_boot();
    FAIL() << "boot with a damaged record";
  } catch (const PersistRecordError& e) {
    EXPECT_EQ(e.exit_code(), kExitPersistRecord);
    EXPECT_NE(std::string(e.what()).find("not the recorded digest"), std::string::npos) << e.what();
  }
  EXPECT_EQ(tree_state(root), before);
  tmp.write(kRecordRel, "{not json");
  EXPECT_THROW(run_boot(), PersistRecordError);
}

TEST_F(PersistTree, ARecordOthersCanChangeIsNotTrusted) {
  std::optional<PersistResult> persisted;
  ASSERT_EQ(apply_and_persist(request(), persisted).state, TxState::kApplied);
  fs::permissions(tmp.path() + "/" + kRecordRel, fs::perms::others_write, fs::perm_options::add);
  EXPECT_THROW(run_boot(), NotPermitted);
  fs::permissions(tmp.path() + "/" + kRecordRel, fs::perms::others_write, fs::perm_options::remove);
  fs::permissions(tmp.path() + "/vm/etc/tunectl", fs::perms::group_write, fs::perm_options::add);
  EXPECT_THROW(run_boot(), NotPermitted);
}

TEST_F(PersistTree, UnpersistRemovesLinkAndRecordAndNothingIsFine) {
  const UnpersistResult none = unpersist(root);
  EXPECT_FALSE(none.removed_link || none.removed_record);
  EXPECT_NE(none.message.find("nothing persisted"), std::string::npos);
  std::optional<PersistResult> persisted;
  ASSERT_EQ(apply_and_persist(request(), persisted).state, TxState::kApplied);
  const UnpersistResult r = unpersist(root);
  EXPECT_TRUE(r.removed_link && r.removed_record);
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->profile, "web");
  EXPECT_FALSE(exists(kRecordRel));
  EXPECT_FALSE(exists(kLinkRel));
  EXPECT_TRUE(exists(kUnitRel));  // the installed unit is the package's, never removed
  EXPECT_EQ(tmp.read("vm/proc/sys/net/core/somaxconn"), "8192\n");  // settings stay until rollback
}

TEST_F(PersistTree, StatusSaysWhetherThePersistedBodyStillMatchesItsFile) {
  EXPECT_FALSE(host_status(root, state).persisted["persisted"].get<bool>());
  std::optional<PersistResult> persisted;
  ASSERT_EQ(apply_and_persist(request(), persisted).state, TxState::kApplied);
  json p = host_status(root, state).persisted;
  EXPECT_TRUE(p["persisted"].get<bool>());
  EXPECT_TRUE(p["enabled"].get<bool>());
  EXPECT_EQ(p["digest"], persisted->record.digest);
  EXPECT_TRUE(p["source_matches"].get<bool>());
  tmp.write("profiles/web.json", R"({"sysctl": {"net.core.somaxconn": 16384}})");
  p = host_status(root, state).persisted;
  EXPECT_FALSE(p["source_matches"].get<bool>());
  EXPECT_NE(p["source_digest"], p["digest"]);
  fs::remove(tmp.path() + "/profiles/web.json");
  p = host_status(root, state).persisted;
  EXPECT_TRUE(p["source_matches"].is_null());
  EXPECT_NE(p["source_error"].get<std::string>().find("web.json"), std::string::npos);
}

}  // namespace
}  // namespace tunectl
