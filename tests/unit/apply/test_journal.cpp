// Journal records, the state lock and the fault switch: the on-disk pieces of a transaction.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/apply/fault_injection.h"
#include "tuner/apply/journal.h"
#include "tuner/apply/state_lock.h"

namespace tunectl {
namespace {

using test::TempTree;
namespace fs = std::filesystem;

JournalHeader sample_header(const std::string& id, const std::string& started_at) {
  JournalHeader h;
  h.id = id;
  h.profile = "latency";
  h.profile_digest = "abc123";
  h.root = "/tmp/tree";
  h.started_at = started_at;
  h.pid = 42;
  h.plan.profile = "latency";
  Change c;
  c.knob = "sysctl:net.ipv4.tcp_fin_timeout";
  c.value = "30";
  h.plan.changes = {c, c};
  h.plan.changes[1].knob = "thp:enabled";
  h.knobs = {{0, "sysctl:net.ipv4.tcp_fin_timeout", "30", std::string("60\n")},
             {1, "thp:enabled", "never", std::string("always [madvise] never\n")}};
  return h;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Base64, RoundTripsEveryByteAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += (n < 8 ? 1 : 37)) {
    const std::string s = all.substr(0, n);
    EXPECT_EQ(base64_decode(base64_encode(s)), s) << n;
  }
  EXPECT_EQ(base64_encode("60\n"), "NjAK");
  EXPECT_EQ(base64_encode("a"), "YQ==");
}

TEST(Base64, RejectsGarbage) {
  EXPECT_THROW(base64_decode("N!AK"), TransactionError);
  EXPECT_THROW(base64_decode("NjA"), TransactionError);
  EXPECT_THROW(base64_decode("Y=QA"), TransactionError);
}

TEST(Journal, HeaderRoundTripsPreviousBytesExactly) {
  TempTree t;
  JournalHeader h = sample_header("20260101T000000Z-0001", "2026-01-01T00:00:00.000001Z");
  h.knobs[0].before = std::string("a\tb\n\0\xff", 6);  // tabs, NUL, invalid UTF-8: byte exact
  JournalWriter jw = JournalWriter::create(t.path(), h);
  EXPECT_EQ(jw.path(), t.path() + "/transactions/20260101T000000Z-0001.journal");
  JournalRecord rec = load_journal(jw.path());
  EXPECT_EQ(rec.header.id, h.id);
  EXPECT_EQ(rec.header.root, "/tmp/tree");
  EXPECT_EQ(rec.header.pid, 42);
  ASSERT_EQ(rec.header.knobs.size(), 2u);
  EXPECT_EQ(rec.header.knobs[0].before, h.knobs[0].before);
  EXPECT_EQ(rec.header.knobs[1].before, std::string("always [madvise] never\n"));
  EXPECT_EQ(rec.header.plan.changes.size(), 2u);
  EXPECT_EQ(rec.state(), "open");
  EXPECT_TRUE(rec.attempted().empty());
  // Private: previous values of kernel settings are root's business; no tmp file left behind.
  struct stat st;
  ASSERT_EQ(::stat(jw.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const auto& e : fs::directory_iterator(journal_dir(t.path())))
    EXPECT_EQ(e.path().filename().string()[0] != '.', true) << e.path();
}

TEST(Journal, EventsDecideStateAndAttemptedKnobs) {
  TempTree t;
  JournalWriter jw = JournalWriter::create(t.path(), sample_header("id-1", "2026-01-01T00:00:00.000001Z"));
  jw.append({{"event", "writing"}, {"index", 0}}, true);
  jw.append({{"event", "written"}, {"index", 0}}, false);
  jw.append({{"event", "writing"}, {"index", 1}}, true);
  JournalRecord rec = load_journal(jw.path());
  EXPECT_EQ(rec.state(), "open");
  EXPECT_EQ(rec.attempted(), (std::vector<size_t>{0, 1}));
  ASSERT_EQ(rec.events.size(), 3u);
  EXPECT_FALSE(rec.events[0].value("at", "").empty());
  jw.append({{"event", "state"}, {"state", "applied"}}, true);
  rec = load_journal(jw.path());
  EXPECT_EQ(rec.state(), "applied");
  EXPECT_EQ(rec.state_at("applied"), rec.events.back().at("at").get<std::string>());
  EXPECT_EQ(rec.state_at("rolled-back"), "");
}

TEST(Journal, TornLastLineIsIgnoredButACorruptMiddleLineIsNot) {
  TempTree t;
  JournalWriter jw = JournalWriter::create(t.path(), sample_header("id-1", "2026-01-01T00:00:00.000001Z"));
  jw.append({{"event", "writing"}, {"index", 0}}, true);
  const std::string text = slurp(jw.path());
  // A power loss in the middle of appending the next mark: that write had not started.
  JournalRecord rec = parse_journal("j", text + "{\"event\":\"writi");
  EXPECT_EQ(rec.attempted(), (std::vector<size_t>{0}));
  EXPECT_THROW(parse_journal("j", text + "garbage\n" + "{\"event\":\"writing\",\"index\":1}\n"), TransactionError);
  EXPECT_THROW(parse_journal("j", "{\"not\":\"a header\"}\n"), TransactionError);
  EXPECT_THROW(parse_journal("j", ""), TransactionError);
}

TEST(Journal, ReopeningCutsOffATornTailSoTheNextEventStaysReadable) {
  TempTree t;
  std::string path;
  {
    JournalWriter jw = JournalWriter::create(t.path(), sample_header("id-1", "2026-01-01T00:00:00.000001Z"));
    jw.append({{"event", "writing"}, {"index", 0}}, true);
    path = jw.path();
  }
  std::ofstream(path, std::ios::app) << "{\"event\":\"writing\",\"ind";
  JournalWriter::reopen(path).append({{"event", "restored"}, {"index", 0}}, true);
  JournalRecord rec = load_journal(path);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[1].at("event"), "restored");
  EXPECT_EQ(rec.attempted(), (std::vector<size_t>{0}));
}

TEST(Journal, NeverReplacesAnExistingRecord) {
  TempTree t;
  JournalWriter first = JournalWriter::create(t.path(), sample_header("same", "2026-01-01T00:00:00.000001Z"));
  EXPECT_THROW(JournalWriter::create(t.path(), sample_header("same", "2026-01-02T00:00:00.000001Z")), TransactionError);
  EXPECT_EQ(load_journal(first.path()).header.started_at, "2026-01-01T00:00:00.000001Z");
}

TEST(Journal, LoadsAllRecordsOldestFirstAndSkipsTmpFiles) {
  TempTree t;
  EXPECT_TRUE(load_journals(t.path() + "/nope").empty());
  JournalWriter::create(t.path(), sample_header("b", "2026-01-02T00:00:00.000000Z"));
  JournalWriter::create(t.path(), sample_header("a", "2026-01-03T00:00:00.000000Z"));
  JournalWriter::create(t.path(), sample_header("c", "2026-01-01T00:00:00.000000Z"));
  t.write("transactions/.d.journal.tmp", "{\"half\":");  // an apply that died before its rename
  auto recs = load_journals(t.path());
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].header.id, "c");
  EXPECT_EQ(recs[1].header.id, "b");
  EXPECT_EQ(recs[2].header.id, "a");
}

TEST(Journal, AFifoPosingAsARecordIsRefusedAtOnce) {
  TempTree t;
  JournalWriter::create(t.path(), sample_header("a", "2026-01-01T00:00:00.000000Z"));
  const std::string fifo = journal_dir(t.path()) + "/b.journal";
  t.fifo("transactions/b.journal");
  std::string what;
  ASSERT_TRUE(test::returns_promptly(
      [&] {
        try {
          load_journals(t.path());
        } catch (const TransactionError& e) {
          what = e.what();
        }
      },
      fifo));
  EXPECT_EQ(what, "cannot read " + fifo + ": not a regular file (FIFO)");
}

TEST(Journal, AMissingRecordNamesThePathAndTheReason) {
  TempTree t;
  try {
    load_journal(t.path() + "/x.journal");
    FAIL() << "loaded a missing journal";
  } catch (const TransactionError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read " + t.path() + "/x.journal: No such file or directory");
  }
}

TEST(Journal, IdsAndTimestampsHaveTheirDocumentedShape) {
  const std::string id = new_transaction_id();
  ASSERT_EQ(id.size(), 21u) << id;
  EXPECT_EQ(id[8], 'T');
  EXPECT_EQ(id[15], 'Z');
  EXPECT_EQ(id[16], '-');
  const std::string now = utc_now();
  ASSERT_EQ(now.size(), 27u) << now;
  EXPECT_EQ(now.back(), 'Z');
  EXPECT_EQ(now[19], '.');
}

TEST(StateLock, SecondHolderIsRefusedWithThePidUntilTheFirstLetsGo) {
  TempTree t;
  const std::string dir = t.path() + "/state/nested";
  {
    StateLock held = StateLock::acquire(dir, true);
    struct stat st;
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    try {
      StateLock::acquire(dir, true);
      FAIL() << "second lock granted";
    } catch (const LockHeld& e) {
      EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(::getpid())), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("--wait"), std::string::npos) << e.what();
      EXPECT_EQ(e.exit_code(), kExitLocked);
    }
  }
  EXPECT_NO_THROW(StateLock::acquire(dir, true));
}

TEST(StateLock, WaitGivesUpAfterItsDeadlineNamingTheWait) {
  TempTree t;
  const std::string dir = t.path() + "/state";
  StateLock held = StateLock::acquire(dir, true);
  try {
    StateLock::acquire(dir, true, 0.3);
    FAIL() << "lock granted while held";
  } catch (const LockHeld& e) {
    EXPECT_NE(std::string(e.what()).find("after waiting"), std::string::npos) << e.what();
  }
}

TEST(StateLock, WaitTakesTheLockOnceTheHolderLetsGo) {
  TempTree t;
  const std::string dir = t.path() + "/state";
  std::optional<StateLock> held(StateLock::acquire(dir, true));
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    held.reset();
  });
  // Without --wait the same call is refused (the test above); with it, it waits for the release.
  EXPECT_NO_THROW(StateLock::acquire(dir, true, 30.0));
  release.join();
}

TEST(StateLock, MissingDirIsNotCreatedForRollback) {
  TempTree t;
  EXPECT_THROW(StateLock::acquire(t.path() + "/none", false), TransactionError);
  EXPECT_FALSE(fs::exists(t.path() + "/none"));
}

TEST(FaultInjector, RejectsMalformedSettings) {
  ::setenv("TUNECTL_FAULT_AFTER_WRITES", "two", 1);
  EXPECT_THROW(FaultInjector::from_env(), InputError);
  ::setenv("TUNECTL_FAULT_AFTER_WRITES", "0", 1);
  EXPECT_THROW(FaultInjector::from_env(), InputError);
  ::setenv("TUNECTL_FAULT_AFTER_WRITES", "2", 1);
  ::setenv("TUNECTL_FAULT_ACTION", "explode", 1);
  EXPECT_THROW(FaultInjector::from_env(), InputError);
  ::unsetenv("TUNECTL_FAULT_ACTION");
  ::unsetenv("TUNECTL_FAULT_AFTER_WRITES");
  FaultInjector off = FaultInjector::from_env();
  for (int i = 0; i < 10; ++i) off.after_write();  // disabled: never fires
}

TEST(FaultInjectorDeathTest, KillsOrExitsRightAfterTheKthWrite) {
  ::setenv("TUNECTL_FAULT_AFTER_WRITES", "3", 1);
  FaultInjector kill = FaultInjector::from_env();
  kill.after_write();
  kill.after_write();
  EXPECT_EXIT(kill.after_write(), ::testing::KilledBySignal(SIGKILL), "");
  ::setenv("TUNECTL_FAULT_ACTION", "exit", 1);
  FaultInjector exit = FaultInjector::from_env();
  exit.after_write();
  exit.after_write();
  EXPECT_EXIT(exit.after_write(), ::testing::ExitedWithCode(86), "");
  ::unsetenv("TUNECTL_FAULT_ACTION");
  ::unsetenv("TUNECTL_FAULT_AFTER_WRITES");
}

}  // namespace
}  // namespace tunectl
