// The state dir cannot be turned against root: symlinks (lock, transactions/, records, the dir
// itself), hard links and directories others can write are refused, and nothing is written
// through them.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/apply/journal.h"
#include "tuner/apply/state_dir.h"
#include "tuner/apply/state_lock.h"

namespace tunectl {
namespace {

using test::TempTree;
namespace fs = std::filesystem;

JournalHeader header(const std::string& id) {
  JournalHeader h;
  h.id = id;
  h.profile = "latency";
  h.profile_digest = "abc";
  h.root = "/tmp/tree";
  h.started_at = "2026-01-01T00:00:00.000000Z";
  return h;
}

// Runs `fn`, expecting NotPermitted (exit 3) whose message contains `needle`.
template <typename Fn>
void expect_refused(Fn fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "accepted; expected a refusal mentioning " << needle;
  } catch (const NotPermitted& e) {
    EXPECT_EQ(e.exit_code(), kExitNotPermitted);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

class StateDirSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    outside_.write("target", "precious\n", 0600);
    ASSERT_EQ(::mkdir(state().c_str(), 0700), 0);
  }
  std::string state() const { return tree_.path() + "/state"; }
  TempTree tree_, outside_;
};

TEST_F(StateDirSafety, ALockSymlinkIsRefusedAndItsTargetKeepsItsBytes) {
  fs::create_symlink(outside_.path() + "/target", state() + "/lock");
  expect_refused([&] { StateLock::acquire(state(), true); }, state() + "/lock is a symlink");
  expect_refused([&] { StateLock::acquire(state(), false); }, "is a symlink");  // rollback takes it too
  EXPECT_EQ(outside_.read("target"), "precious\n");
}

TEST_F(StateDirSafety, ADanglingLockSymlinkIsRefusedAndCreatesNothing) {
  fs::create_symlink(outside_.path() + "/created", state() + "/lock");
  expect_refused([&] { StateLock::acquire(state(), true); }, "is a symlink");
  EXPECT_FALSE(fs::exists(outside_.path() + "/created"));
}

TEST_F(StateDirSafety, ALockHardLinkedToAnotherFileIsRefused) {
  ASSERT_EQ(::link((outside_.path() + "/target").c_str(), (state() + "/lock").c_str()), 0);
  expect_refused([&] { StateLock::acquire(state(), true); }, "hard link");
  EXPECT_EQ(outside_.read("target"), "precious\n");
}

TEST_F(StateDirSafety, ATransactionsSymlinkIsRefusedForWritingAndReading) {
  ASSERT_EQ(::mkdir((outside_.path() + "/journals").c_str(), 0700), 0);
  fs::create_symlink(outside_.path() + "/journals", state() + "/transactions");
  expect_refused([&] { JournalWriter::create(state(), header("t1")); }, state() + "/transactions is a symlink");
  expect_refused([&] { load_journals(state()); }, "is a symlink");
  EXPECT_TRUE(fs::is_empty(outside_.path() + "/journals"));
}

TEST_F(StateDirSafety, ARecordThatIsASymlinkIsNotRead) {
  JournalWriter::create(state(), header("good"));
  // A journal elsewhere, linked in: its "previous bytes" would be written back as root.
  fs::copy_file(journal_dir(state()) + "/good.journal", outside_.path() + "/evil.journal");
  fs::create_symlink(outside_.path() + "/evil.journal", journal_dir(state()) + "/evil.journal");
  try {
    load_journals(state());
    FAIL() << "a symlinked record was loaded";
  } catch (const TransactionError& e) {
    EXPECT_NE(std::string(e.what()).find("evil.journal: not a regular file (symlink)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(JournalWriter::reopen(journal_dir(state()) + "/evil.journal"), TransactionError);
  EXPECT_EQ(fs::file_size(outside_.path() + "/evil.journal"), fs::file_size(journal_dir(state()) + "/good.journal"));
}

TEST_F(StateDirSafety, AGroupOrOtherWritableStateDirIsRefused) {
  for (mode_t mode : {0770, 0702, 0777, 01777}) {
    ASSERT_EQ(::chmod(state().c_str(), mode), 0);
    expect_refused([&] { StateLock::acquire(state(), true); }, "is writable by group or others");
    expect_refused([&] { load_journals(state()); }, "is writable by group or others");
    EXPECT_FALSE(fs::exists(state() + "/lock")) << std::oct << mode;
  }
  ASSERT_EQ(::chmod(state().c_str(), 0755), 0);  // readable by others is fine
  EXPECT_NO_THROW(StateLock::acquire(state(), true));
}

TEST_F(StateDirSafety, AWritableTransactionsDirIsRefused) {
  ASSERT_EQ(::mkdir(journal_dir(state()).c_str(), 0777), 0);
  ASSERT_EQ(::chmod(journal_dir(state()).c_str(), 0777), 0);
  expect_refused([&] { JournalWriter::create(state(), header("t1")); }, "transactions is writable by group or others");
  expect_refused([&] { load_journals(state()); }, "writable by group or others");
}

TEST_F(StateDirSafety, AStateDirThatIsASymlinkIsRefused) {
  fs::create_symlink(state(), tree_.path() + "/alias");
  expect_refused([&] { StateLock::acquire(tree_.path() + "/alias", true); }, "alias is a symlink");
  expect_refused([&] { StateLock::acquire(tree_.path() + "/alias/", true); }, "alias is a symlink");
  expect_refused([&] { load_journals(tree_.path() + "/alias"); }, "is a symlink");
  fs::create_symlink(outside_.path() + "/none", tree_.path() + "/dangling");
  expect_refused([&] { StateLock::acquire(tree_.path() + "/dangling", true); }, "is a symlink");
  EXPECT_FALSE(fs::exists(outside_.path() + "/none"));
  EXPECT_FALSE(fs::exists(state() + "/lock"));
}

TEST_F(StateDirSafety, AStateDirOwnedBySomeoneElseIsRefused) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root to give the dir away";
  ASSERT_EQ(::chown(state().c_str(), 65534, 65534), 0);
  expect_refused([&] { StateLock::acquire(state(), true); }, "is owned by uid 65534");
  EXPECT_FALSE(fs::exists(state() + "/lock"));
}

TEST_F(StateDirSafety, ACreatedStateDirAndTransactionsDirAre0700) {
  const std::string fresh = tree_.path() + "/new/state";
  StateLock lock = StateLock::acquire(fresh, true);
  JournalWriter::create(fresh, header("t1"));
  for (const std::string& d : {fresh, journal_dir(fresh)}) {
    struct stat st;
    ASSERT_EQ(::lstat(d.c_str(), &st), 0) << d;
    EXPECT_EQ(st.st_mode & 07777, 0700u) << d;
  }
  EXPECT_EQ(load_journals(fresh).size(), 1u);
}

}  // namespace
}  // namespace tunectl
