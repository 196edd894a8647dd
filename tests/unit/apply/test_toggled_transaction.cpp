// The audit's transaction on copies of the fixture host: switched between the original and the
// plan many times in one journal record, it must restore the original byte for byte when it ends
// with a rollback, when it is abandoned mid-way (a killed audit), and when a switch fails.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/apply/journal.h"
#include "tuner/apply/state_lock.h"
#include "tuner/apply/toggled_transaction.h"
#include "tuner/apply/transaction.h"

namespace tunectl {
namespace {

using test::TempTree;
using test::change_to;
using test::tree_state;
namespace fs = std::filesystem;

Plan plan() {
  Plan p;
  p.profile = "audit-unit";
  p.profile_digest = "d";
  p.changes = {change_to("sysctl:net.ipv4.tcp_fin_timeout", "30"), change_to("thp:enabled", "never"),
               change_to("irq:38:affinity", "0")};
  return p;
}

struct ToggledTree : ::testing::Test {
  TempTree tmp;
  std::string root = tmp.copy_fixture("vm");
  std::string state = tmp.path() + "/state";
  Host host{root};
  std::map<std::string, std::string> original = tree_state(root);
  std::string file(const std::string& rel) { return tmp.read("vm/" + rel); }
};

TEST_F(ToggledTree, SwitchesBackAndForthInOneOpenRecordAndRollsBackByteForByte) {
  StateLock lock = StateLock::acquire(state, true);
  ToggledTransaction tx = ToggledTransaction::begin(host, plan(), state);
  ASSERT_FALSE(tx.empty());
  EXPECT_EQ(tree_state(root), original) << "begin writes the journal only";
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(tx.to_applied());
    EXPECT_TRUE(tx.applied());
    EXPECT_EQ(file("proc/sys/net/ipv4/tcp_fin_timeout"), "30\n");
    EXPECT_NE(file("sys/kernel/mm/transparent_hugepage/enabled").find("[never]"), std::string::npos);
    ASSERT_FALSE(tx.to_original());
    EXPECT_EQ(tree_state(root), original) << "switch " << i;
  }
  EXPECT_EQ(tx.switches(), 6);
  auto recs = load_journals(state);
  ASSERT_EQ(recs.size(), 1u) << "one record for the whole audit";
  EXPECT_EQ(recs[0].state(), "open");
  ASSERT_FALSE(tx.to_applied());
  ASSERT_FALSE(tx.roll_back("audit: --rollback"));
  EXPECT_EQ(tree_state(root), original);
  EXPECT_EQ(load_journals(state)[0].state(), "rolled-back");
  EXPECT_THROW(tx.to_applied(), TransactionError);
}

TEST_F(ToggledTree, KeepLeavesThePlanAppliedAndTheRecordApplied) {
  StateLock lock = StateLock::acquire(state, true);
  ToggledTransaction tx = ToggledTransaction::begin(host, plan(), state);
  ASSERT_FALSE(tx.to_applied());
  ASSERT_FALSE(tx.to_original());
  ASSERT_FALSE(tx.keep());  // from state A: switches to B first
  EXPECT_EQ(file("proc/sys/net/ipv4/tcp_fin_timeout"), "30\n");
  const Transaction view = tx.view();
  EXPECT_STREQ(to_string(view.state), "applied");
  for (const auto& c : view.changes) EXPECT_STREQ(to_string(c.status), "written") << c.knob;
  // An ordinary rollback undoes a kept audit like any apply.
  Transaction back = rollback_record(host, load_journals(state)[0], state, "rollback");
  EXPECT_STREQ(to_string(back.state), "rolled-back");
  EXPECT_EQ(tree_state(root), original);
}

TEST_F(ToggledTree, AnAbandonedAuditLeavesAnOpenRecordThatRollbackRestores) {
  for (bool in_b : {true, false}) {
    {
      StateLock lock = StateLock::acquire(state, true);
      ToggledTransaction tx = ToggledTransaction::begin(host, plan(), state);
      ASSERT_FALSE(tx.to_applied());
      if (!in_b) {
        ASSERT_FALSE(tx.to_original());
      }
      ASSERT_FALSE(tx.to_applied());
      if (!in_b) {
        ASSERT_FALSE(tx.to_original());
      }
    }  // destroyed unfinished: what a SIGKILL leaves
    auto recs = load_journals(state);
    ASSERT_EQ(recs.back().state(), "open");
    RollbackRequest req;
    req.root = root;
    req.state_dir = state;
    auto done = rollback(req);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_STREQ(to_string(done[0].state), "rolled-back") << done[0].error.value_or("");
    EXPECT_EQ(tree_state(root), original) << (in_b ? "abandoned in B" : "abandoned in A");
  }
}

TEST_F(ToggledTree, AFailedSwitchRestoresEverythingAndClosesTheRecord) {
  // Immutable after the first switch: the second switch to B fails on THP, as a kernel refusing a
  // value would. Needs root and chattr (e2fsprogs, scripts/setup.sh).
  const std::string victim = root + "/sys/kernel/mm/transparent_hugepage/enabled";
  StateLock lock = StateLock::acquire(state, true);
  ToggledTransaction tx = ToggledTransaction::begin(host, plan(), state);
  ASSERT_FALSE(tx.to_applied());
  ASSERT_FALSE(tx.to_original());
  ASSERT_EQ(std::system(("chattr +i '" + victim + "'").c_str()), 0);
  const auto err = tx.to_applied();
  std::system(("chattr -i '" + victim + "'").c_str());
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("thp:enabled"), std::string::npos) << *err;
  EXPECT_NE(err->find("every knob was restored"), std::string::npos) << *err;
  EXPECT_TRUE(tx.finished());
  EXPECT_EQ(tree_state(root), original);
  EXPECT_EQ(load_journals(state)[0].state(), "rolled-back");
}

TEST_F(ToggledTree, NothingToChangeMakesNoRecord) {
  Plan p;
  p.profile = "audit-unit";
  StateLock lock = StateLock::acquire(state, true);
  ToggledTransaction tx = ToggledTransaction::begin(host, p, state);
  EXPECT_TRUE(tx.empty());
  EXPECT_FALSE(tx.to_applied());
  EXPECT_FALSE(tx.applied());
  EXPECT_FALSE(fs::exists(journal_dir(state)));
  EXPECT_STREQ(to_string(tx.view().state), "unchanged");
}

}  // namespace
}  // namespace tunectl
