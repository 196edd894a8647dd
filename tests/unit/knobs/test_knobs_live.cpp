// Knobs against the live kernel, restoring everything they change (RAII guards). Net sysctls are
// written only inside a private network namespace (a forked child that unshare(CLONE_NEWNET)s).
// Runs as root (scripts/test.sh). The IRQs and NICs used are discovered on this host, not assumed.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "core/host.h"
#include "tests/unit/test_helpers.h"
#include "tuner/knobs/knob.h"

namespace tunectl {
namespace {

const Host kLive("/");

#define REQUIRE_ROOT() ASSERT_EQ(::geteuid(), 0u) << "live knob tests run as root (scripts/test.sh)"

// Puts the raw bytes back however the test ends.
class RestoreGuard {
 public:
  RestoreGuard(const Knob& k, std::string raw) : k_(k), raw_(std::move(raw)) {}
  ~RestoreGuard() {
    WriteOutcome o = k_.restore(kLive, raw_);
    EXPECT_TRUE(o.ok()) << "RESTORE FAILED: " << o.message;
    EXPECT_EQ(k_.read_raw(kLive).data, raw_) << k_.address() << " not restored";
  }

 private:
  const Knob& k_;
  std::string raw_;
};

std::optional<std::string> live_raw(const Knob& k) {
  ReadResult r = k.read_raw(kLive);
  if (!r.ok) return std::nullopt;
  return r.data;
}

TEST(KnobLive, ThpEnabledAndDefrag) {
  REQUIRE_ROOT();
  for (const char* addr : {"thp:enabled", "thp:defrag"}) {
    auto k = make_knob(addr);
    ASSERT_EQ(k->not_settable(kLive), std::nullopt) << addr;  // every supported kernel has THP
    const std::string raw = *live_raw(*k);
    const std::string before = k->normalise(raw);
    const std::string other = before == "never" ? "madvise" : "never";
    ASSERT_FALSE(k->validate_for(kLive, other));
    {
      RestoreGuard guard(*k, raw);
      WriteOutcome o = k->write(kLive, other);
      ASSERT_TRUE(o.ok()) << o.message;
      EXPECT_EQ(k->normalise(*live_raw(*k)), other);
      auto bad = k->write(kLive, "bogus");
      EXPECT_EQ(bad.err, EINVAL);
      EXPECT_EQ(bad.message, std::string(addr) + ": kernel rejected value 'bogus' (EINVAL)");
    }
    EXPECT_EQ(k->normalise(*live_raw(*k)), before);
  }
}

TEST(KnobLive, IrqAffinitySettable) {
  REQUIRE_ROOT();
  const int irq = test::discover_live_irqs().settable;
  ASSERT_GE(irq, 0) << "no IRQ on this host takes a write of its own smp_affinity_list";
  const std::string addr = "irq:" + std::to_string(irq) + ":affinity";
  auto k = make_knob(addr);
  ASSERT_EQ(k->not_settable(kLive), std::nullopt) << addr;
  const std::string raw = *live_raw(*k);
  const std::string want = k->normalise(raw) == "0" ? "1" : "0";
  {
    RestoreGuard guard(*k, raw);
    ASSERT_FALSE(k->validate_for(kLive, want));
    WriteOutcome o = k->write(kLive, want);
    ASSERT_TRUE(o.ok()) << o.message;
    EXPECT_EQ(k->normalise(*live_raw(*k)), want);
    Effect e = k->check_effect(kLive, want);
    EXPECT_TRUE(e.status == EffectStatus::kOk || e.status == EffectStatus::kPending) << e.detail;
    EXPECT_NE(e.detail.find("requested " + want), std::string::npos) << e.detail;
  }
}

TEST(KnobLive, ManagedIrqRefused) {
  REQUIRE_ROOT();
  const int irq = test::discover_live_irqs().managed;
  ASSERT_GE(irq, 0) << "no managed IRQ on this host (virtio-blk/NVMe queue vectors are managed)";
  const std::string addr = "irq:" + std::to_string(irq) + ":affinity";
  auto k = make_knob(addr);
  auto before = live_raw(*k);
  ASSERT_TRUE(before) << addr;
  auto why = k->not_settable(kLive);
  ASSERT_TRUE(why) << addr << " should be reported as managed";
  EXPECT_NE(why->find("managed IRQ: kernel refuses affinity changes"), std::string::npos) << *why;
  // Even if someone tries: a clear refusal, never a crash, nothing changed.
  WriteOutcome o = k->write(kLive, "0");
  EXPECT_FALSE(o.ok());
  EXPECT_EQ(o.message.rfind(addr + ": ", 0), 0u) << o.message;
  EXPECT_EQ(*live_raw(*k), *before);
}

// The kernel has an XPS map exactly on multi-queue devices (netif_is_multiqueue), so every
// interface's tx-0 is either settable or "not applicable", decided by its own tx queue count.
TEST(KnobLive, XpsSettableExactlyOnMultiQueueNics) {
  REQUIRE_ROOT();
  int checked = 0;
  for (const auto& nic : std::filesystem::directory_iterator("/sys/class/net")) {
    const std::string ifname = nic.path().filename();
    int tx_queues = 0;
    for (const auto& q : std::filesystem::directory_iterator(nic.path() / "queues"))
      tx_queues += q.path().filename().string().rfind("tx-", 0) == 0;
    if (tx_queues == 0) continue;  // no tx-0 to address
    SCOPED_TRACE(ifname + ": " + std::to_string(tx_queues) + " tx queues");
    auto why = make_knob("xps:" + ifname + ":tx-0")->not_settable(kLive);
    if (tx_queues == 1) {
      EXPECT_EQ(why.value_or(""), "not applicable: " + ifname + " tx-0 has no XPS map (single-queue device)");
    } else {
      EXPECT_EQ(why, std::nullopt);
    }
    ++checked;
  }
  EXPECT_GE(checked, 1) << "lo has a tx-0 on every host";
}

// Runs `body` in a forked child inside a fresh network namespace; returns its exit code.
template <class F>
int in_private_netns(F body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNET) != 0) ::_exit(100);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

TEST(KnobLive, NetSysctlInPrivateNetns) {
  REQUIRE_ROOT();
  auto k = make_knob("sysctl:net.ipv4.tcp_keepalive_time");
  ASSERT_TRUE(k->per_netns());
  const std::string host_before = *live_raw(*k);
  // Write, read back, restore: all inside the namespace.
  int rc = in_private_netns([&]() -> int {
    auto raw = live_raw(*k);
    if (!raw) return 1;
    const std::string want = k->normalise(*raw) == "61" ? "62" : "61";
    if (k->validate_for(kLive, want)) return 2;
    if (!k->write(kLive, want).ok()) return 3;
    if (k->normalise(*live_raw(*k)) != want) return 4;
    if (!k->restore(kLive, *raw).ok()) return 5;
    if (*live_raw(*k) != *raw) return 6;
    // Leave a change behind on purpose: the namespace dies with the child.
    if (!k->write(kLive, want).ok()) return 7;
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(*live_raw(*k), host_before) << "the host's own value changed";

  // Multi-value sysctl the same way.
  auto ports = make_knob("sysctl:net.ipv4.ip_local_port_range");
  const std::string ports_before = *live_raw(*ports);
  rc = in_private_netns([&]() -> int {
    auto raw = live_raw(*ports);
    if (!raw) return 1;
    if (!ports->write(kLive, "20000 40001").ok()) return 2;
    if (ports->normalise(*live_raw(*ports)) != "20000 40001") return 3;
    if (!ports->restore(kLive, *raw).ok() || *live_raw(*ports) != *raw) return 4;
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(*live_raw(*ports), ports_before);

  // A global net.core sysctl does not exist in a new netns: not settable there, never the host's.
  auto busy = make_knob("sysctl:net.core.busy_poll");
  rc = in_private_netns([&]() -> int {
    auto why = busy->not_settable(kLive);
    return why && why->find("initial network namespace") != std::string::npos ? 0 : 1;
  });
  EXPECT_EQ(rc, 0);
}

TEST(KnobLive, EthtoolChannels) {
  REQUIRE_ROOT();
  // lo's driver has no channels; a NIC whose driver offers combined channels (virtio_net, mlx5...)
  // is discovered, not named.
  EXPECT_EQ(make_knob("ethtool:lo:channels.combined")->not_settable(kLive).value_or(""),
            "the driver does not support channels");
  std::string ifname;
  for (const auto& nic : std::filesystem::directory_iterator("/sys/class/net"))
    if (!make_knob("ethtool:" + nic.path().filename().string() + ":channels.combined")->not_settable(kLive)) {
      ifname = nic.path().filename();
      break;
    }
  ASSERT_FALSE(ifname.empty()) << "no NIC with settable combined channels (this VM's virtio_net has them)";
  auto k = make_knob("ethtool:" + ifname + ":channels.combined");
  ReadResult r = k->read_raw(kLive);
  ASSERT_TRUE(r.ok) << r.error;
  const std::string cur = k->normalise(r.data);
  // Above the driver's maximum: refused before any write.
  const std::string why = k->validate_for(kLive, "4096").value_or("");
  EXPECT_EQ(why.rfind("must be ≤ ", 0), 0u) << why;
  EXPECT_NE(why.find("(" + ifname + "'s combined_max), got 4096"), std::string::npos) << why;
  // Writing the current value is a safe no-op round trip.
  WriteOutcome o = k->write(kLive, cur);
  EXPECT_TRUE(o.ok()) << o.message;
  EXPECT_TRUE(k->restore(kLive, r.data).ok());
  EXPECT_EQ(k->normalise(k->read_raw(kLive).data), cur);
}

}  // namespace
}  // namespace tunectl
