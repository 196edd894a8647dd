// Issue 9, findings 4, 6, 10 and 13: the journal reserves its room, never keeps a partial line,
// orders records by a sequence number instead of the clock, reports corrupt records instead of
// failing every verb, and records the test switch (only a test build has it).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/apply/fault_injection.h"
#include "tuner/apply/journal.h"
#include "tuner/apply/state_lock.h"
#include "tuner/apply/transaction.h"

namespace tunectl {
namespace {

using test::TempTree;
using test::change_to;
using test::tree_state;
namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary | std::ios::trunc) << text; }

// Replaces line `n` (0: the header) of a record with `edit(line as JSON)`.
void edit_line(const std::string& path, size_t n, const std::function<void(json&)>& edit) {
  std::string text = slurp(path), out;
  size_t pos = 0;
  for (size_t i = 0; pos < text.size(); ++i) {
    const size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    if (i == n) {
      json j = json::parse(line);
      edit(j);
      line = j.dump();
    }
    out += line + "\n";
    pos = nl + 1;
  }
  spit(path, out);
}

Plan plan_of(const std::string& profile, std::vector<Change> changes) {
  Plan p;
  p.profile = profile;
  p.profile_digest = "d-" + profile;
  p.changes = std::move(changes);
  return p;
}

struct HardenedTree : ::testing::Test {
  TempTree tmp;
  std::string root = tmp.copy_fixture("vm");
  std::string state = tmp.path() + "/state";
  Host host{root};
  std::map<std::string, std::string> original = tree_state(root);

  Plan first() { return plan_of("first", {change_to("sysctl:net.ipv4.tcp_fin_timeout", "30"), change_to("irq:38:affinity", "0")}); }
  Plan second() { return plan_of("second", {change_to("sysctl:net.core.somaxconn", "8192")}); }
  Transaction apply(const Plan& p) {
    StateLock lock = StateLock::acquire(state, true);
    return apply_plan(host, p, state);
  }
  RollbackRequest request(std::optional<std::string> to = std::nullopt) {
    RollbackRequest r;
    r.root = root;
    r.state_dir = state;
    r.to = std::move(to);
    return r;
  }
  std::string journal(const Transaction& t) { return *t.journal; }
};

// --- finding 6: order by a sequence number, not the wall clock -----------------------------------

TEST_F(HardenedTree, TheLastAppliedIsRolledBackEvenWhenTheClockSteppedBack) {
  const std::string somaxconn = tmp.read("vm/proc/sys/net/core/somaxconn");
  const Transaction a = apply(first());
  const Transaction b = apply(second());
  // The clock stepped back an hour between the two applies: b started "before" a.
  edit_line(journal(b), 0, [](json& h) { h["started_at"] = "2000-01-01T00:00:00.000000Z"; });
  const auto recs = load_journals(state);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].header.id, *a.id);
  EXPECT_EQ(recs[1].header.id, *b.id);
  EXPECT_LT(recs[0].header.seq, recs[1].header.seq);
  const auto done = rollback(request());
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, b.id);
  EXPECT_EQ(tmp.read("vm/proc/sys/net/core/somaxconn"), somaxconn);
  EXPECT_EQ(tmp.read("vm/proc/sys/net/ipv4/tcp_fin_timeout"), "30\n");  // a is still applied
}

TEST_F(HardenedTree, RecordsWithoutASeqComeFirstByStartTime) {
  const Transaction a = apply(first());
  const Transaction b = apply(second());
  // b made by an older tunectl, in the future by the clock: still before every seq'd record.
  edit_line(journal(b), 0, [](json& h) {
    h.erase("seq");
    h["started_at"] = "2999-01-01T00:00:00.000000Z";
  });
  const auto recs = load_journals(state);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].header.id, *b.id);
  EXPECT_EQ(recs[0].header.seq, 0u);
  EXPECT_EQ(recs[1].header.id, *a.id);
}

TEST_F(HardenedTree, TheSequenceLivesInTheStateDirAndNeverRepeats) {
  const Transaction a = apply(first());
  EXPECT_EQ(slurp(state + "/seq"), "1\n");
  struct stat st;
  ASSERT_EQ(::stat((state + "/seq").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A lost seq file: the records' highest seq still decides the next one.
  fs::remove(state + "/seq");
  const Transaction b = apply(second());
  EXPECT_EQ(load_journal(journal(b)).header.seq, 2u);
  // A symlink posing as it is refused, like the lock.
  fs::remove(state + "/seq");
  fs::create_symlink(tmp.path() + "/elsewhere", state + "/seq");
  StateLock lock = StateLock::acquire(state, false);
  EXPECT_THROW(take_next_seq(state, 0), NotPermitted);
  EXPECT_FALSE(fs::exists(tmp.path() + "/elsewhere"));
}

// --- finding 10: tampered or partial journals -----------------------------------------------------

TEST_F(HardenedTree, AJournalCutAfterItsHeaderRestoresNothingAndSaysSo) {
  const Transaction a = apply(first());
  const auto applied = tree_state(root);
  const std::string text = slurp(journal(a));
  spit(journal(a), text.substr(0, text.find('\n') + 1));  // the events are gone
  const auto done = rollback(request());
  ASSERT_EQ(done.size(), 1u);
  EXPECT_STREQ(to_string(done[0].state), "open");
  ASSERT_TRUE(done[0].error);
  EXPECT_NE(done[0].error->find("no knob write was recorded"), std::string::npos) << *done[0].error;
  EXPECT_NE(done[0].error->find("sysctl:net.ipv4.tcp_fin_timeout"), std::string::npos) << *done[0].error;
  EXPECT_EQ(tree_state(root), applied);  // nothing written
  EXPECT_EQ(slurp(journal(a)), text.substr(0, text.find('\n') + 1));
}

TEST_F(HardenedTree, AnApplyThatStoppedBeforeItsFirstWriteIsClosedWithoutWriting) {
  const Transaction a = apply(first());
  ASSERT_EQ(rollback(request()).size(), 1u);
  ASSERT_EQ(tree_state(root), original);
  const std::string text = slurp(journal(a));
  spit(journal(a), text.substr(0, text.find('\n') + 1));  // open, no marks, knobs as before
  const auto done = rollback(request());
  ASSERT_EQ(done.size(), 1u);
  EXPECT_STREQ(to_string(done[0].state), "rolled-back") << done[0].error.value_or("");
  ASSERT_TRUE(done[0].note);
  EXPECT_NE(done[0].note->find("no knob write was recorded"), std::string::npos) << *done[0].note;
  EXPECT_EQ(tree_state(root), original);
}

TEST_F(HardenedTree, AnIndexOfTheWrongTypeIsACorruptRecordNotACrash) {
  const Transaction a = apply(first());
  edit_line(journal(a), 1, [](json& ev) { ev["index"] = "0"; });
  try {
    load_journal(journal(a));
    FAIL() << "loaded";
  } catch (const TransactionError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2: bad event: index \"0\" names no knob"), std::string::npos) << e.what();
  }
  int value = 8000;  // a new value each time: every apply writes and makes a record
  for (auto edit : std::vector<std::function<void(json&)>>{
           [](json& ev) { ev["index"] = 7; },          // no such knob
           [](json& ev) { ev["event"] = 3; },          // not a name
           [](json& ev) { ev["at"] = json::array(); },  // not a string
       }) {
    const Transaction b = apply(plan_of("second", {change_to("sysctl:net.core.somaxconn", std::to_string(++value))}));
    ASSERT_TRUE(b.journal) << to_string(b.state);
    edit_line(journal(b), 1, edit);
    const JournalSet set = scan_journals(state);
    bool listed = false;
    for (const auto& c : set.corrupt) listed |= c.id == *b.id;
    EXPECT_TRUE(listed);
    fs::remove(journal(b));
  }
}

TEST_F(HardenedTree, OneCorruptRecordIsReportedAndSkippedWhereItIsNotNeeded) {
  const Transaction a = apply(first());
  const Transaction b = apply(second());
  edit_line(journal(a), 1, [](json& ev) { ev["index"] = "0"; });
  const JournalSet set = scan_journals(state);
  ASSERT_EQ(set.records.size(), 1u);
  ASSERT_EQ(set.corrupt.size(), 1u);
  EXPECT_EQ(set.corrupt[0].id, *a.id);
  EXPECT_EQ(set.corrupt[0].seq, load_journal(journal(b)).header.seq - 1);  // still read from line 1

  std::vector<CorruptJournal> corrupt;
  const auto hist = history(root, state, &corrupt);
  ASSERT_EQ(hist.size(), 1u);
  EXPECT_EQ(hist[0].id, b.id);
  ASSERT_EQ(corrupt.size(), 1u);
  EXPECT_EQ(corrupt[0].id, *a.id);

  // Rolling back b, which is newer than the corrupt a, needs nothing from a.
  const auto done = rollback(request());
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, b.id);
  EXPECT_STREQ(to_string(done[0].state), "rolled-back");
  // a itself cannot be rolled back; and a may be open, so apply refuses with nothing written.
  EXPECT_THROW(rollback(request(*a.id)), TransactionError);
  const auto before_apply = tree_state(root);
  ApplyRequest req;
  req.profile = "latency";
  req.root = root;
  req.state_dir = state;
  try {
    apply_profile(req);
    FAIL() << "applied over a corrupt record";
  } catch (const OpenTransaction& e) {  // it may be one: the same code as an open transaction
    EXPECT_NE(std::string(e.what()).find("journal " + *a.id + " is corrupt"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), kExitOpenTransaction);
  }
  EXPECT_EQ(tree_state(root), before_apply);
}

TEST_F(HardenedTree, ACorruptRecordThatMayBeNewerStopsRollback) {
  const Transaction a = apply(first());
  const Transaction b = apply(second());
  spit(journal(b), "{\"schema\": \"tunectl.jour");  // cut in its header: not even a seq
  const auto applied = tree_state(root);
  try {
    rollback(request());
    FAIL() << "rolled back under a corrupt record";
  } catch (const TransactionError& e) {
    EXPECT_NE(std::string(e.what()).find("journal " + *b.id + " is corrupt"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
  EXPECT_EQ(tree_state(root), applied);
}

TEST_F(HardenedTree, StaleTmpHeadersAreRemovedUnderTheLock) {
  apply(first());
  tmp.write("state/transactions/.20260101T000000Z-dead.journal.tmp", "{\"half\":");
  tmp.write("state/transactions/keep.txt", "not ours");
  const auto done = rollback(request());
  ASSERT_EQ(done.size(), 1u);
  EXPECT_FALSE(fs::exists(state + "/transactions/.20260101T000000Z-dead.journal.tmp"));
  EXPECT_TRUE(fs::exists(state + "/transactions/keep.txt"));
}

// --- finding 4: room reserved, no partial line ----------------------------------------------------

TEST_F(HardenedTree, TheHeaderReservesRoomForEveryEventOfApplyAndRollback) {
  const Transaction a = apply(first());
  const JournalRecord rec = load_journal(journal(a));
  struct stat st;
  ASSERT_EQ(::stat(journal(a).c_str(), &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), slurp(journal(a)).size());  // the size is that of the lines
  const size_t pass = journal_pass_bytes(rec.header);
  EXPECT_GE(pass, 2 * 2048u);
  // Blocks allocated beyond the end (KEEP_SIZE) when the file system can reserve.
  EXPECT_GE(static_cast<size_t>(st.st_blocks) * 512, static_cast<size_t>(st.st_size) + pass);
}

TEST(JournalSpace, AFailedAppendLeavesNoPartialLine) {
  TempTree t;
  JournalHeader h;
  h.id = "full";
  h.profile = "p";
  h.root = "/tmp/tree";
  h.started_at = "2026-01-01T00:00:00.000000Z";
  h.plan.changes = {change_to("sysctl:net.ipv4.tcp_fin_timeout", "30")};
  h.knobs = {{0, "sysctl:net.ipv4.tcp_fin_timeout", "30", std::string("60\n")}};
  JournalWriter jw = JournalWriter::create(t.path(), h);
  jw.append({{"event", "writing"}, {"index", 0}}, true);
  const std::string before = slurp(jw.path());
  // The file may grow by 10 more bytes: the next line is written in part, then refused (EFBIG),
  // as a full disk refuses the rest of a line.
  struct rlimit old;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = before.size() + 10;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  EXPECT_THROW(jw.append({{"event", "written"}, {"index", 0}, {"after_b64", base64_encode("30\n")}}, false),
               TransactionError);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(slurp(jw.path()), before);
  jw.append({{"event", "written"}, {"index", 0}}, false);  // the next line starts on its own
  EXPECT_EQ(load_journal(jw.path()).events.size(), 2u);
}

TEST(JournalSpace, ATailOfZeroBytesReadsAsATornLine) {
  TempTree t;
  JournalHeader h;
  h.id = "zeros";
  h.profile = "p";
  h.root = "/tmp/tree";
  h.started_at = "2026-01-01T00:00:00.000000Z";
  h.plan.changes = {change_to("sysctl:net.ipv4.tcp_fin_timeout", "30")};
  h.knobs = {{0, "sysctl:net.ipv4.tcp_fin_timeout", "30", std::string("60\n")}};
  std::string path;
  {
    JournalWriter jw = JournalWriter::create(t.path(), h);
    jw.append({{"event", "writing"}, {"index", 0}}, true);
    path = jw.path();
  }
  // A power loss can leave the size of a line whose blocks were never written: zero bytes.
  std::ofstream(path, std::ios::app | std::ios::binary) << std::string(300, '\0');
  EXPECT_EQ(load_journal(path).attempted(), (std::vector<size_t>{0}));
  JournalWriter::reopen(path).append({{"event", "restored"}, {"index", 0}}, true);
  EXPECT_EQ(load_journal(path).events.size(), 2u);
}

// --- finding 13: the test switch ------------------------------------------------------------------

TEST_F(HardenedTree, AnArmedSwitchIsRecordedInTheJournalAndOnlyATestBuildHasOne) {
  ::setenv("TUNECTL_FAULT_AFTER_WRITES", "99", 1);  // more writes than the plan has: never fires
  ::setenv("TUNECTL_FAULT_ACTION", "exit", 1);
  const Transaction a = apply(first());
  ::unsetenv("TUNECTL_FAULT_AFTER_WRITES");
  ::unsetenv("TUNECTL_FAULT_ACTION");
  EXPECT_STREQ(to_string(a.state), "applied");
  const JournalHeader h = load_journal(journal(a)).header;
  if (FaultInjector::compiled_in()) {
    EXPECT_EQ(h.fault_injection, (json{{"after_writes", 99}, {"action", "exit"}}));
  } else {
    EXPECT_TRUE(h.fault_injection.is_null()) << h.fault_injection.dump();
  }
  const Transaction b = apply(second());  // not armed: not recorded
  EXPECT_TRUE(load_journal(journal(b)).header.fault_injection.is_null());
}

}  // namespace
}  // namespace tunectl
