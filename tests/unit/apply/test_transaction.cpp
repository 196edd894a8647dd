// The transaction engine on copies of the fixture host: apply, read back, fail, crash, roll back,
// and the tree must come back byte for byte (content, modes, symlinks).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/apply/journal.h"
#include "tuner/apply/state_lock.h"
#include "tuner/apply/transaction.h"

namespace tunectl {
namespace {

using test::TempTree;
using test::change_to;
using test::tree_state;
namespace fs = std::filesystem;

Plan sample_plan() {
  Plan p;
  p.profile = "unit";
  p.profile_digest = "d1";
  p.changes = {change_to("sysctl:net.ipv4.tcp_fin_timeout", "30"), change_to("sysctl:net.core.somaxconn", "8192"),
               change_to("sysctl:net.ipv4.tcp_rmem", "4096 87380 16777216"), change_to("thp:enabled", "never"),
               change_to("irq:38:affinity", "0")};
  return p;
}

struct TransactionTree : ::testing::Test {
  TempTree tmp;
  std::string root = tmp.copy_fixture("vm");
  std::string state = tmp.path() + "/state";
  Host host{root};
  std::map<std::string, std::string> original = tree_state(root);

  std::string file(const std::string& rel) { return tmp.read("vm/" + rel); }
  Transaction apply(const Plan& p) {
    StateLock lock = StateLock::acquire(state, true);
    return apply_plan(host, p, state);
  }
};

TEST_F(TransactionTree, AppliesInOrderReadsBackAndRollsBackByteForByte) {
  Transaction tx = apply(sample_plan());
  ASSERT_STREQ(to_string(tx.state), "applied") << tx.error.value_or("");
  ASSERT_TRUE(tx.id);
  // Written like `echo v > file`: the knob layer adds the newline the kernel would print.
  EXPECT_EQ(file("proc/sys/net/ipv4/tcp_fin_timeout"), "30\n");
  EXPECT_EQ(file("proc/sys/net/core/somaxconn"), "8192\n");
  EXPECT_EQ(file("proc/irq/38/smp_affinity_list"), "0\n");
  ASSERT_EQ(tx.changes.size(), 5u);
  for (const auto& c : tx.changes) EXPECT_STREQ(to_string(c.status), "written") << c.knob;
  EXPECT_EQ(tx.changes[0].before, std::string("60\n"));  // exact bytes, trailing newline included
  EXPECT_EQ(tx.changes[0].after, std::string("30\n"));
  EXPECT_NE(tree_state(root), original);

  auto recs = load_journals(state);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].header.root, fs::canonical(root).string());
  EXPECT_EQ(recs[0].state(), "applied");
  {
    StateLock lock = StateLock::acquire(state, false);
    Transaction back = rollback_record(host, recs[0], state, "rollback");
    EXPECT_STREQ(to_string(back.state), "rolled-back") << back.error.value_or("");
    EXPECT_TRUE(back.rolled_back_at);
    for (const auto& c : back.changes) EXPECT_STREQ(to_string(c.status), "restored") << c.knob;
    EXPECT_EQ(back.changes[0].found, std::string("30\n"));
  }
  EXPECT_EQ(tree_state(root), original);
  StateLock lock = StateLock::acquire(state, false);
  EXPECT_THROW(rollback_record(host, load_journals(state)[0], state, "rollback"), TransactionError);
}

TEST_F(TransactionTree, NotSettableKnobsAreSkippedAndNeverWritten) {
  Plan p;
  p.profile = "unit";
  p.changes = {change_to("irq:36:affinity", "0"), change_to("sysctl:net.ipv4.tcp_fin_timeout", "30")};
  Transaction tx = apply(p);
  ASSERT_STREQ(to_string(tx.state), "applied") << tx.error.value_or("");
  ASSERT_EQ(tx.changes.size(), 1u);
  EXPECT_EQ(tx.changes[0].knob, "sysctl:net.ipv4.tcp_fin_timeout");
  ASSERT_EQ(tx.skipped.size(), 1u);
  EXPECT_EQ(tx.skipped[0].knob, "irq:36:affinity");
  EXPECT_STREQ(to_string(tx.skipped[0].status), "not-settable");
  EXPECT_FALSE(tx.skipped[0].reason.empty());
  EXPECT_EQ(file("proc/irq/36/smp_affinity_list"), original["proc/irq/36/smp_affinity_list"].substr(6));
  // The journal's plan is the executed one: the skipped knob is recorded as skipped.
  EXPECT_EQ(load_journals(state)[0].header.plan.skipped.size(), 1u);
}

TEST_F(TransactionTree, NothingToChangeWritesNoJournal) {
  Plan p;
  p.profile = "unit";
  p.changes = {change_to("irq:36:affinity", "0")};
  Transaction tx = apply(p);
  EXPECT_STREQ(to_string(tx.state), "unchanged");
  EXPECT_FALSE(tx.id);
  EXPECT_FALSE(fs::exists(journal_dir(state)));
}

TEST_F(TransactionTree, FirstFailureRollsBackEverythingWrittenAndNamesKnobAndErrno) {
  // Immutable: the mode still says writable (so the knob is settable), but the write itself fails
  // with EPERM, like a kernel refusing a value. Needs root and chattr (e2fsprogs, scripts/setup.sh).
  const std::string victim = root + "/sys/kernel/mm/transparent_hugepage/enabled";
  ASSERT_EQ(std::system(("chattr +i '" + victim + "'").c_str()), 0) << "chattr +i failed on " << victim;
  Transaction tx = apply(sample_plan());
  std::system(("chattr -i '" + victim + "'").c_str());
  EXPECT_STREQ(to_string(tx.state), "rolled-back");
  ASSERT_TRUE(tx.error);
  EXPECT_NE(tx.error->find("thp:enabled"), std::string::npos) << *tx.error;
  EXPECT_NE(tx.error->find("EPERM"), std::string::npos) << *tx.error;
  EXPECT_STREQ(to_string(tx.changes[0].status), "restored");
  EXPECT_STREQ(to_string(tx.changes[2].status), "restored");
  EXPECT_STREQ(to_string(tx.changes[3].status), "restored");  // the failing knob: found unchanged, left alone
  EXPECT_STREQ(to_string(tx.changes[4].status), "not-written");
  EXPECT_EQ(tree_state(root), original);
  EXPECT_EQ(load_journals(state)[0].state(), "rolled-back");
}

TEST_F(TransactionTree, IncompleteRollbackKeepsTheTransactionOpenUntilRetried) {
  // A restore that cannot write leaves the transaction open, and says so.
  Transaction tx = apply(sample_plan());
  ASSERT_STREQ(to_string(tx.state), "applied");
  ::chmod((root + "/proc/sys/net/core/somaxconn").c_str(), 0444);
  StateLock lock = StateLock::acquire(state, false);
  Transaction back = rollback_record(host, load_journals(state)[0], state, "rollback");
  EXPECT_STREQ(to_string(back.state), "applied");
  ASSERT_TRUE(back.error);
  EXPECT_NE(back.error->find("incomplete"), std::string::npos);
  EXPECT_STREQ(to_string(back.changes[1].status), "restore-failed");
  ::chmod((root + "/proc/sys/net/core/somaxconn").c_str(), 0644);
  Transaction again = rollback_record(host, load_journals(state)[0], state, "rollback");
  EXPECT_STREQ(to_string(again.state), "rolled-back") << again.error.value_or("");
  EXPECT_FALSE(again.error);
  EXPECT_EQ(tree_state(root), original);
}

TEST_F(TransactionTree, CrashAfterEveryKthWriteLeavesAnOpenTransactionThatRollsBack) {
  const size_t n = sample_plan().changes.size();
  for (size_t k = 1; k <= n; ++k) {
    EXPECT_EXIT(
        {
          ::setenv("TUNECTL_FAULT_AFTER_WRITES", std::to_string(k).c_str(), 1);
          apply(sample_plan());
        },
        ::testing::KilledBySignal(SIGKILL), "")
        << k;
    auto recs = load_journals(state);
    ASSERT_EQ(recs.size(), k);
    const JournalRecord& rec = recs.back();
    EXPECT_EQ(rec.state(), "open") << k;
    EXPECT_EQ(rec.attempted().size(), k);  // the k-th mark was made durable before its write
    EXPECT_NE(tree_state(root), original) << k;
    StateLock lock = StateLock::acquire(state, false);
    Transaction back = rollback_record(host, rec, state, "rollback");
    EXPECT_STREQ(to_string(back.state), "rolled-back") << back.error.value_or("");
    EXPECT_EQ(back.changes[k - 1].status, TxChangeStatus::kRestored);
    if (k < n) {
      EXPECT_STREQ(to_string(back.changes[k].status), "not-written");
    }
    EXPECT_EQ(tree_state(root), original) << k;
  }
}

TEST_F(TransactionTree, RollbackPicksTheLastOrRollsBackToANamedOne) {
  Plan a = sample_plan();
  Plan b;
  b.profile = "second";
  b.changes = {change_to("sysctl:net.ipv4.tcp_fin_timeout", "15"), change_to("sysctl:net.ipv4.tcp_tw_reuse", "1")};
  const std::string id_a = *apply(a).id;
  const auto after_a = tree_state(root);
  const std::string id_b = *apply(b).id;

  RollbackRequest req;
  req.root = root;
  req.state_dir = state;
  auto done = rollback(req);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, id_b);
  EXPECT_EQ(tree_state(root), after_a);
  std::string nothing;
  EXPECT_TRUE(rollback(req, &nothing).empty());  // twice: nothing to do, not an error
  EXPECT_NE(nothing.find("transaction " + id_b + " is already rolled back"), std::string::npos) << nothing;
  EXPECT_EQ(tree_state(root), after_a);

  // Re-apply b, then roll back "to" a: b first (it sits on top), then a.
  const std::string id_b2 = *apply(b).id;
  req.to = id_a;
  done = rollback(req);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].id, id_b2);
  EXPECT_EQ(done[1].id, id_a);
  EXPECT_EQ(tree_state(root), original);

  const auto hist = history(root, state);
  ASSERT_EQ(hist.size(), 3u);
  for (const auto& t : hist) EXPECT_STREQ(to_string(t.state), "rolled-back");
  req.to = "no-such-id";
  EXPECT_THROW(rollback(req), TransactionError);
}

TEST_F(TransactionTree, TransactionsBelongToTheirRoot) {
  apply(sample_plan());
  TempTree other;
  RollbackRequest req;
  req.root = other.copy_fixture("vm");
  req.state_dir = state;
  try {
    rollback(req);
    FAIL() << "rolled back onto another root";
  } catch (const TransactionError& e) {
    EXPECT_NE(std::string(e.what()).find("was made for root"), std::string::npos) << e.what();
  }
  EXPECT_EQ(default_state_dir("/"), "/var/lib/tunectl");
  const std::string keyed = default_state_dir(fs::canonical(root).string());
  EXPECT_EQ(keyed.rfind("/var/lib/tunectl/roots/vm-", 0), 0u) << keyed;
  EXPECT_EQ(keyed, default_state_dir(fs::canonical(root).string()));  // stable
  EXPECT_NE(keyed, default_state_dir(fs::canonical(req.root).string()));
}

TEST_F(TransactionTree, JsonCarriesBeforeAndAfterAsText) {
  Transaction tx = apply(sample_plan());
  json j = tx;
  EXPECT_EQ(j["state"], "applied");
  EXPECT_EQ(j["changes"][0]["before"], "60\n");
  EXPECT_EQ(j["changes"][0]["after"], "30\n");
  EXPECT_FALSE(j["changes"][0].contains("action"));
  EXPECT_TRUE(j["error"].is_null());
  json s = summary_json(tx);
  EXPECT_EQ(s["knobs"], 5);  // a count under its own name: "changes" is always the list
  EXPECT_EQ(s["written"], 5);
  EXPECT_FALSE(s.contains("changes"));
}

}  // namespace
}  // namespace tunectl
