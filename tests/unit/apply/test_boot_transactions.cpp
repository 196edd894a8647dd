// Kernel parameters (boot: knobs) in transactions, on copies of the metal fixture tree (GRUB with
// a grub.d drop-in directory): apply writes the drop-in and runs the after-writes step once;
// rollback removes it; a record from an earlier boot still restores its boot-time knobs (files a
// reboot keeps) while it closes the runtime ones unwritten; verify and status say pending-reboot
// until /proc/cmdline has the value; an audit's toggled transaction leaves them out.
#include <gtest/gtest.h>

#include "tests/unit/test_helpers.h"
#include "tuner/apply/journal.h"
#include "tuner/apply/state_lock.h"
#include "tuner/apply/status.h"
#include "tuner/apply/toggled_transaction.h"
#include "tuner/apply/transaction.h"
#include "tuner/plan/verify.h"
#include "tuner/profile/profile.h"
#include "tuner/plan/planner.h"

namespace tunectl {
namespace {

using test::TempTree;
using test::change_to;
using test::tree_state;

constexpr const char* kBootId = "proc/sys/kernel/random/boot_id";
constexpr const char* kDropIn = "etc/default/grub.d/tunectl.cfg";

struct BootTree : ::testing::Test {
  TempTree tmp;
  std::string root = tmp.copy_fixture("metal-2s-mlx5-k8s");
  std::string state = tmp.path() + "/state";
  Host host{root};
  std::map<std::string, std::string> original;

  BootTree() {
    tmp.write("metal-2s-mlx5-k8s/" + std::string(kBootId), "0b4d6e8a-1c2f-4e7b-9a55-3f1e2d3c4b5a\n", 0444);
    original = tree_state(root);
  }
  std::string file(const std::string& rel) { return tmp.read("metal-2s-mlx5-k8s/" + rel); }
  bool exists(const std::string& rel) { return std::filesystem::exists(root + "/" + rel); }

  Transaction apply(const std::vector<Change>& changes) { return test::apply_changes(host, state, changes); }
  std::vector<Transaction> roll_back() { return test::roll_back(root, state); }
};

TEST_F(BootTree, ApplyWritesTheDropInOnceAndRollbackRemovesIt) {
  const Transaction t = apply({change_to("sysctl:net.ipv4.tcp_fin_timeout", "30"),
                               change_to("boot:nohz_full", "2-15"), change_to("boot:skew_tick", "1")});
  ASSERT_EQ(t.state, TxState::kApplied) << t.error.value_or("");
  EXPECT_NE(file(kDropIn).find("${GRUB_CMDLINE_LINUX_DEFAULT} nohz_full=2-15 skew_tick=1\"\n"), std::string::npos);
  // The after-writes step ran once for the kind, and says what it did on a tree.
  const JournalRecord rec = load_journals(state).at(0);
  int steps = 0;
  for (const auto& ev : rec.events) steps += ev.value("event", "") == "after-writes";
  EXPECT_EQ(steps, 1);
  EXPECT_EQ(t.note.value_or(""), "boot: captured tree: the boot loader configuration is not regenerated");
  const auto back = roll_back();
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].state, TxState::kRolledBack) << back[0].error.value_or("");
  EXPECT_EQ(tree_state(root), original);
  EXPECT_FALSE(exists(kDropIn));
}

TEST_F(BootTree, AfterARebootTheBootTimeKnobsAreStillRestored) {
  ASSERT_EQ(apply({change_to("sysctl:net.ipv4.tcp_fin_timeout", "30"), change_to("boot:nohz_full", "2-15")}).state,
            TxState::kApplied);
  // The reboot: a new boot id, the runtime sysctl back at its boot value, the drop-in kept.
  tmp.write("metal-2s-mlx5-k8s/" + std::string(kBootId), "7f00c1d2-aaaa-4bbb-8ccc-123456789abc\n", 0444);
  const std::string fin_after_reboot = file("proc/sys/net/ipv4/tcp_fin_timeout");
  const auto back = roll_back();
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].state, TxState::kRolledBack) << back[0].error.value_or("");
  EXPECT_NE(back[0].note.value_or("").find("1 boot-time setting(s)"), std::string::npos) << back[0].note.value_or("");
  EXPECT_FALSE(exists(kDropIn)) << "the drop-in survives a reboot, so the rollback must remove it";
  EXPECT_EQ(file("proc/sys/net/ipv4/tcp_fin_timeout"), fin_after_reboot) << "runtime knobs are not written";
}

TEST_F(BootTree, VerifyAndStatusSayPendingRebootUntilTheKernelHasIt) {
  const Profile p = load_profile_from_text(R"({"boot": {"skew_tick": 1}})", "boot.json", {});
  ASSERT_EQ(apply(make_plan(host, plan_snapshot(host, plan_areas(p)), p).changes).state, TxState::kApplied);
  VerifyReport r = verify_profile(host, plan_snapshot(host, plan_areas(p)), p);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].status, VerifyStatus::kPendingReboot);
  EXPECT_NE(r.items[0].detail.find("running kernel has no skew_tick"), std::string::npos);
  EXPECT_TRUE(r.ok) << "configured is not drift";
  EXPECT_FALSE(verify_profile(host, plan_snapshot(host, plan_areas(p)), p, true).ok) << "--strict fails on it";
  HostStatus s = host_status(root, state);
  EXPECT_TRUE(s.reboot_pending);
  EXPECT_NE(s.reboot_note.find("boot:skew_tick"), std::string::npos);
  EXPECT_EQ(status_exit_code(s), 0);
  // After the reboot with it: ok everywhere.
  tmp.write("metal-2s-mlx5-k8s/proc/cmdline", file("proc/cmdline").substr(0, file("proc/cmdline").size() - 1) +
                                                   " skew_tick=1\n", 0444);
  r = verify_profile(host, plan_snapshot(host, plan_areas(p)), p, true);
  EXPECT_EQ(r.items.at(0).status, VerifyStatus::kOk);
  EXPECT_TRUE(r.ok);
  EXPECT_FALSE(host_status(root, state).reboot_pending);
}

TEST_F(BootTree, AnAuditLeavesBootTimeKnobsOut) {
  Plan p;
  p.profile = "audit";
  p.changes = {change_to("sysctl:net.ipv4.tcp_fin_timeout", "30"), change_to("boot:skew_tick", "1")};
  StateLock lock = StateLock::acquire(state, true);
  ToggledTransaction tx = ToggledTransaction::begin(host, p, state);
  ASSERT_EQ(tx.knobs().size(), 1u);
  EXPECT_EQ(tx.knobs()[0].knob, "sysctl:net.ipv4.tcp_fin_timeout");
  ASSERT_EQ(tx.executed().skipped.size(), 1u);
  EXPECT_NE(tx.executed().skipped[0].reason.find("takes effect at the next boot"), std::string::npos);
  ASSERT_FALSE(tx.to_applied());
  EXPECT_FALSE(exists(kDropIn));
  ASSERT_FALSE(tx.roll_back("audit: --rollback"));
  EXPECT_EQ(tree_state(root), original);
}

}  // namespace
}  // namespace tunectl
