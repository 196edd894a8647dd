// Rollback checks what it restores (issue 9, finding 7): the journal records each knob's device
// (IRQ action and chip, interface ifindex) and the boot id at apply; a rollback refuses, before
// writing anything, when the device is another one now (unless force), and closes a record from
// an earlier boot without writing. On copies of the vm fixture tree.
#include <gtest/gtest.h>

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

constexpr const char* kBootId = "proc/sys/kernel/random/boot_id";
constexpr const char* kBootA = "0b4d6e8a-1c2f-4e7b-9a55-3f1e2d3c4b5a\n";
constexpr const char* kBootB = "7f00c1d2-aaaa-4bbb-8ccc-123456789abc\n";

struct KnobIdentity : ::testing::Test {
  TempTree tmp;
  std::string root = tmp.copy_fixture("vm");
  std::string state = tmp.path() + "/state";
  Host host{root};

  KnobIdentity() { tmp.write("vm/" + std::string(kBootId), kBootA, 0444); }
  std::string file(const std::string& rel) { return tmp.read("vm/" + rel); }

  Transaction apply(const std::vector<Change>& changes) { return test::apply_changes(host, state, changes); }
  // The whole plan: a sysctl, an IRQ and an interface knob.
  Transaction apply_sample() {
    return apply({change_to("sysctl:net.ipv4.tcp_fin_timeout", "30"), change_to("irq:38:affinity", "0"),
                  change_to("rps:eth0:rx-0", "0-1")});
  }
  std::vector<Transaction> roll_back(bool force, std::optional<std::string> to = std::nullopt) {
    return test::roll_back(root, state, force, to);
  }
  // The refusal's message; "" when rollback did not throw TransactionError.
  std::string refusal(bool force = false) {
    try {
      roll_back(force);
    } catch (const TransactionError& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage);
      return e.what();
    }
    return "";
  }
  // Everything apply_sample wrote is still there: nothing was restored.
  void expect_still_applied() {
    EXPECT_EQ(file("proc/sys/net/ipv4/tcp_fin_timeout"), "30\n");
    EXPECT_EQ(file("proc/irq/38/smp_affinity_list"), "0\n");
    EXPECT_EQ(file("sys/class/net/eth0/queues/rx-0/rps_cpus"), "3\n");
    EXPECT_EQ(load_journals(state).back().state(), "applied");
  }
};

TEST_F(KnobIdentity, ApplyRecordsBootIdIrqActionAndChipAndInterfaceIfindex) {
  ASSERT_STREQ(to_string(apply_sample().state), "applied");
  const JournalHeader h = load_journals(state)[0].header;
  EXPECT_EQ(h.identity, (json{{"boot_id", "0b4d6e8a-1c2f-4e7b-9a55-3f1e2d3c4b5a"}}));  // a tree has no netns
  ASSERT_EQ(h.knobs.size(), 3u);
  EXPECT_TRUE(h.knobs[0].identity.is_null());  // a sysctl is bound to no device
  EXPECT_EQ(h.knobs[1].identity,
            (json{{"irq", {{"number", 38}, {"actions", "virtio2-input.0"}, {"chip", "PCI-MSIX-0000:00:03.0"}}}}));
  EXPECT_EQ(h.knobs[2].identity, (json{{"interface", {{"name", "eth0"}, {"ifindex", 4}}}}));
}

TEST_F(KnobIdentity, ARenamedIrqRefusesTheWholeRollbackUntilForce) {
  const auto original = tree_state(root);
  ASSERT_STREQ(to_string(apply_sample().state), "applied");
  // A driver reload (or a reboot) gave IRQ 38 to another device.
  tmp.write("vm/sys/kernel/irq/38/actions", "nvme0q3\n", 0444);
  const std::string msg = refusal();
  EXPECT_NE(msg.find("irq:38:affinity: IRQ 38 was 'virtio2-input.0' on PCI-MSIX-0000:00:03.0 at apply, now it is "
                     "'nvme0q3' on PCI-MSIX-0000:00:03.0"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("nothing written"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--force"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  expect_still_applied();  // the sysctl and the rps mask were not restored either

  const auto done = roll_back(true);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_STREQ(to_string(done[0].state), "rolled-back") << done[0].error.value_or("");
  auto now = tree_state(root);
  now.erase("sys/kernel/irq/38/actions");
  auto expected = original;
  expected.erase("sys/kernel/irq/38/actions");
  EXPECT_EQ(now, expected);
}

TEST_F(KnobIdentity, AnIrqThatIsGoneAndAnInterfaceWithAnotherIfindexAreBothNamed) {
  ASSERT_STREQ(to_string(apply_sample().state), "applied");
  tmp.write("vm/sys/class/net/eth0/ifindex", "9\n", 0444);
  std::filesystem::remove_all(root + "/sys/kernel/irq/38");
  const std::string msg = refusal();
  EXPECT_NE(msg.find("irq:38:affinity: IRQ 38 was 'virtio2-input.0' on PCI-MSIX-0000:00:03.0 at apply, now it does "
                     "not exist"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("rps:eth0:rx-0: interface eth0 had ifindex 4 at apply, now 9 (another device)"), std::string::npos)
      << msg;
  expect_still_applied();
}

TEST_F(KnobIdentity, EveryTargetOfToIsCheckedBeforeTheFirstWrite) {
  ASSERT_STREQ(to_string(apply({change_to("irq:38:affinity", "0")}).state), "applied");
  const std::string first = load_journals(state)[0].header.id;
  ASSERT_STREQ(to_string(apply({change_to("sysctl:net.ipv4.tcp_fin_timeout", "30")}).state), "applied");
  tmp.write("vm/sys/kernel/irq/38/actions", "nvme0q3\n", 0444);
  // The later transaction (the sysctl) is fine, the earlier one is not: neither is rolled back.
  EXPECT_THROW(roll_back(false, first), TransactionError);
  EXPECT_EQ(file("proc/sys/net/ipv4/tcp_fin_timeout"), "30\n");
  EXPECT_EQ(file("proc/irq/38/smp_affinity_list"), "0\n");
  for (const auto& rec : load_journals(state)) EXPECT_EQ(rec.state(), "applied") << rec.header.id;
}

TEST_F(KnobIdentity, ARecordFromAnEarlierBootIsClosedWithoutWriting) {
  ASSERT_STREQ(to_string(apply_sample().state), "applied");
  tmp.write("vm/" + std::string(kBootId), kBootB, 0444);  // rebooted
  tmp.write("vm/sys/kernel/irq/38/actions", "nvme0q3\n", 0444);  // and the IRQ numbers moved: moot
  const auto done = roll_back(false);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_STREQ(to_string(done[0].state), "rolled-back");
  ASSERT_TRUE(done[0].note);
  EXPECT_NE(done[0].note->find("the host rebooted since transaction " + *done[0].id), std::string::npos)
      << *done[0].note;
  EXPECT_NE(done[0].note->find("nothing written"), std::string::npos) << *done[0].note;
  EXPECT_FALSE(done[0].error);
  EXPECT_EQ(file("proc/sys/net/ipv4/tcp_fin_timeout"), "30\n");  // the reboot reset it on a real host
  EXPECT_EQ(file("proc/irq/38/smp_affinity_list"), "0\n");
  EXPECT_EQ(load_journals(state)[0].state(), "rolled-back");
  EXPECT_TRUE(roll_back(false).empty());  // closed: "already rolled back", nothing to do
}

TEST_F(KnobIdentity, ForceWritesTheRecordOfAnEarlierBootAnyway) {
  const auto original = tree_state(root);
  ASSERT_STREQ(to_string(apply_sample().state), "applied");
  tmp.write("vm/" + std::string(kBootId), kBootB, 0444);
  const auto done = roll_back(true);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_STREQ(to_string(done[0].state), "rolled-back");
  EXPECT_FALSE(done[0].note);
  auto now = tree_state(root);
  EXPECT_EQ(now.at(kBootId).substr(6), kBootB);
  now.erase(kBootId);
  auto expected = original;
  expected.erase(kBootId);
  EXPECT_EQ(now, expected);
}

TEST_F(KnobIdentity, AnOldRecordWithoutIdentitiesStillRollsBack) {
  const auto original = tree_state(root);
  ASSERT_STREQ(to_string(apply_sample().state), "applied");
  // Rewrite the header as an older tunectl wrote it: no identity fields.
  const std::string path = load_journals(state)[0].path;
  std::ifstream in(path);
  std::string header, rest, line;
  std::getline(in, header);
  while (std::getline(in, line)) rest += line + "\n";
  json h = json::parse(header);
  h.erase("identity");
  for (auto& k : h["knobs"]) k.erase("identity");
  std::ofstream(path, std::ios::trunc) << h.dump() << "\n" << rest;
  ASSERT_TRUE(load_journals(state)[0].header.identity.is_null());
  // Nothing to compare with: the rollback proceeds even though the IRQ was renamed and the boot changed.
  tmp.write("vm/sys/kernel/irq/38/actions", "nvme0q3\n", 0444);
  tmp.write("vm/" + std::string(kBootId), kBootB, 0444);
  const auto done = roll_back(false);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_STREQ(to_string(done[0].state), "rolled-back") << done[0].error.value_or("");
  EXPECT_FALSE(done[0].note);
  EXPECT_EQ(file("proc/sys/net/ipv4/tcp_fin_timeout"), "60\n");
  EXPECT_EQ(tree_state(root).at("proc/irq/38/smp_affinity_list"), original.at("proc/irq/38/smp_affinity_list"));
}

TEST_F(KnobIdentity, ATreeWithoutABootIdIsNotBootChecked) {
  std::filesystem::remove(root + "/" + kBootId);
  ASSERT_STREQ(to_string(apply_sample().state), "applied");
  EXPECT_EQ(load_journals(state)[0].header.identity, json::object());
  const auto done = roll_back(false);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_STREQ(to_string(done[0].state), "rolled-back");
  EXPECT_EQ(file("proc/sys/net/ipv4/tcp_fin_timeout"), "60\n");
}

}  // namespace
}  // namespace tunectl
