// The knob registry is the allowlist: hostile or unknown addresses are refused with a precise
// InputError before anything could be read or written. Also cgroup (v1/v2 trees) and ethtool
// (captured tree) behaviour.
#include <gtest/gtest.h>

#include <cerrno>

#include "core/errors.h"
#include "core/host.h"
#include "tests/unit/test_helpers.h"
#include "tuner/knobs/knob.h"

namespace tunectl {
namespace {
using test::TempTree;

const char* kKinds =
    "(known kinds: sysctl:, thp:, irq:, rps:, rps_flow:, xps:, ethtool:, cgroup:, cgroup_dir:, cpufreq:, pstate:, "
    "cpuidle:, epb:, boot:)";

TEST(KnobRegistry, HostileAddresses) {
  struct Case {
    std::string address, message;
  };
  const std::vector<Case> cases = {
      {"sysctl:../../etc/passwd", "bad knob address 'sysctl:../../etc/passwd': sysctl names are dotted (net.ipv4.x); '/' and '..' are not allowed"},
      {"sysctl:net/ipv4/tcp_fin_timeout", "bad knob address 'sysctl:net/ipv4/tcp_fin_timeout': sysctl names are dotted (net.ipv4.x); '/' and '..' are not allowed"},
      {"sysctl:net..ipv4.tcp_fin_timeout", "bad knob address 'sysctl:net..ipv4.tcp_fin_timeout': sysctl names are dotted (net.ipv4.x); '/' and '..' are not allowed"},
      {"cgroup:/../../etc:cpu.max", "bad knob address 'cgroup:/../../etc:cpu.max': cgroup path '/../../etc' may not contain '..'"},
      {"cgroup:/a/./b:cpu.max", "bad knob address 'cgroup:/a/./b:cpu.max': cgroup path '/a/./b' may not contain '.'"},
      {"cgroup:etc:cpu.max", "bad knob address 'cgroup:etc:cpu.max': cgroup path 'etc' must start with '/'"},
      {"cgroup:/x:tasks", "bad knob address 'cgroup:/x:tasks': 'tasks' is not a cgroup file tunectl manages (allowed: cpu.max, cpu.max.burst, cpu.weight, cpuset.cpus, cpu.cfs_quota_us, cpu.cfs_period_us, cpu.shares, cpu.cfs_burst_us)"},
      {"cgroup:/x", "bad knob address 'cgroup:/x': expected cgroup:<path>:<file>"},
      {"irq:abc:affinity", "bad knob address 'irq:abc:affinity': IRQ number 'abc' is not a decimal number"},
      {"irq:-1:affinity", "bad knob address 'irq:-1:affinity': IRQ number '-1' is not a decimal number"},
      {"irq:38:smp_affinity", "bad knob address 'irq:38:smp_affinity': expected irq:<N>:affinity"},
      {"irq:38/../../x:affinity", "bad knob address 'irq:38/../../x:affinity': IRQ number '38/../../x' is not a decimal number"},
      {"rps:../x:rx-0", "bad knob address 'rps:../x:rx-0': interface name '../x' contains a forbidden character"},
      {"rps:..:rx-0", "bad knob address 'rps:..:rx-0': interface name '..' is not allowed"},
      {"rps:averyveryverylongname:rx-0", "bad knob address 'rps:averyveryverylongname:rx-0': interface name 'averyveryverylongname' is longer than 15 characters"},
      {"rps:eth0:tx-0", "bad knob address 'rps:eth0:tx-0': queue 'tx-0' is not rx-<N>"},
      {"rps:eth0:rx-0/../../x", "bad knob address 'rps:eth0:rx-0/../../x': queue 'rx-0/../../x' is not rx-<N>"},
      {"xps:eth0:rx-0", "bad knob address 'xps:eth0:rx-0': queue 'rx-0' is not tx-<N>"},
      {"rps_flow:eth0", "bad knob address 'rps_flow:eth0': expected rps_flow:<if>:rx-<N>"},
      {"ethtool:eth0:features.gro", "bad knob address 'ethtool:eth0:features.gro': 'features' is not an ethtool group (channels, coalesce, rings)"},
      {"ethtool:../eth0:channels.combined", "bad knob address 'ethtool:../eth0:channels.combined': interface name '../eth0' contains a forbidden character"},
      {"thp:../../x", "bad knob address 'thp:../../x': '../../x' is not a THP setting (allowed: enabled, defrag, shmem_enabled, use_zero_page, khugepaged/{defrag,max_ptes_none,pages_to_scan,scan_sleep_millisecs,alloc_sleep_millisecs}, hugepages-<N>kB/{enabled,shmem_enabled})"},
      {"thp:hugepages-2048kB/../../../../etc/passwd", "bad knob address 'thp:hugepages-2048kB/../../../../etc/passwd': 'hugepages-2048kB/../../../../etc/passwd' is not a THP setting (allowed: enabled, defrag, shmem_enabled, use_zero_page, khugepaged/{defrag,max_ptes_none,pages_to_scan,scan_sleep_millisecs,alloc_sleep_millisecs}, hugepages-<N>kB/{enabled,shmem_enabled})"},
      {"thp:", "bad knob address 'thp:': expected thp:<file>, e.g. thp:enabled, thp:khugepaged/defrag, thp:hugepages-2048kB/enabled"},
      {"sysctl:", "bad knob address 'sysctl:': expected sysctl:<dotted.name>, e.g. sysctl:net.ipv4.tcp_keepalive_time"},
      {"file:/etc/passwd", std::string("unknown knob 'file:/etc/passwd' ") + kKinds},
      {"/proc/sys/vm/swappiness", std::string("unknown knob '/proc/sys/vm/swappiness' ") + kKinds},
      {"", std::string("unknown knob '' ") + kKinds},
      {"SYSCTL:vm.swappiness", std::string("unknown knob 'SYSCTL:vm.swappiness' ") + kKinds},
      {std::string("sysctl:vm.swappiness\0x", 22), "bad knob address 'sysctl:vm.swappiness\\x00x': contains a control character"},
      {"sysctl:vm.swappiness\n", "bad knob address 'sysctl:vm.swappiness\\x0a': contains a control character"},
  };
  for (const auto& c : cases) EXPECT_EQ(test::knob_refusal(c.address), c.message) << c.address;
  // Outside the allowlist, even though the file exists.
  const std::string core = test::knob_refusal("sysctl:kernel.core_pattern");
  EXPECT_EQ(core.rfind("bad knob address 'sysctl:kernel.core_pattern': sysctl 'kernel.core_pattern' is not managed by tunectl (allowed: net.ipv4.tcp_keepalive_time, ", 0), 0u) << core;
  EXPECT_NE(test::knob_refusal("sysctl:kernel.modprobe").find("is not managed by tunectl"), std::string::npos);
}

TEST(KnobRegistry, AcceptsEveryDocumentedShape) {
  for (const char* a : {"sysctl:net.ipv4.tcp_keepalive_time", "sysctl:net.core.rps_sock_flow_entries", "thp:enabled",
                        "thp:khugepaged/defrag", "thp:hugepages-2048kB/enabled", "irq:38:affinity", "rps:eth0:rx-0",
                        "rps_flow:eth0:rx-0", "xps:eth0:tx-0", "ethtool:eth0:channels.combined",
                        "ethtool:eth0:coalesce.rx_usecs", "ethtool:eth0:coalesce.adaptive_rx",
                        "ethtool:eth0:rings.rx", "cgroup:/work.slice:cpu.max", "cgroup:/:cpu.weight",
                        "cgroup:/a b/c:cpuset.cpus", "cgroup:/x:cpu.shares"}) {
    auto k = make_knob(a);
    ASSERT_TRUE(k) << a;
    EXPECT_EQ(k->address(), a);
  }
  EXPECT_EQ(make_knob("rps_flow:eth0:rx-0")->kind(), "rps_flow");
  EXPECT_EQ(make_knob("xps:eth0:tx-0")->kind(), "xps");
}

// --- cgroup -------------------------------------------------------------------------------------

const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
const char* kUnifiedMountinfo = "30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";

TEST(KnobCgroup, V2RoundTripAndValidation) {
  TempTree t;
  t.write("proc/self/mountinfo", kUnifiedMountinfo);
  t.write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
  t.write("sys/fs/cgroup/work.slice/cpu.max", "max 100000\n");
  t.write("sys/fs/cgroup/work.slice/cpu.weight", "100\n");
  t.write("sys/fs/cgroup/work.slice/cpuset.cpus", "\n");
  Host h(t.path());
  auto k = make_knob("cgroup:/work.slice:cpu.max");
  EXPECT_FALSE(k->not_settable(h));
  const std::string raw = k->read_raw(h).data;
  EXPECT_EQ(raw, "max 100000\n");
  EXPECT_EQ(k->normalise(raw), "max 100000");
  EXPECT_FALSE(k->validate("200000 100000"));
  EXPECT_FALSE(k->validate("max"));
  EXPECT_EQ(k->validate("500 100000").value_or(""), "quota must be ≥ 1000 usec, got 500");
  EXPECT_EQ(k->validate("200000 2000000").value_or(""), "period must be 1000..1000000, got 2000000 (usec)");
  EXPECT_EQ(k->validate("lots").value_or(""), "quota must be an integer 1000..4611686018427387903, got 'lots'");
  ASSERT_TRUE(k->write(h, "200000 100000").ok());
  EXPECT_EQ(t.read("sys/fs/cgroup/work.slice/cpu.max"), "200000 100000\n");
  ASSERT_TRUE(k->restore(h, raw).ok());
  EXPECT_EQ(t.read("sys/fs/cgroup/work.slice/cpu.max"), raw);

  auto w = make_knob("cgroup:/work.slice:cpu.weight");
  EXPECT_EQ(w->validate("0").value_or(""), "must be 1..10000, got 0");
  EXPECT_EQ(w->validate("10001").value_or(""), "must be 1..10000, got 10001");
  EXPECT_EQ(make_knob("cgroup:/work.slice:cpu.shares")->not_settable(h).value_or(""),
            "cpu.shares is a cgroup v1 file, but the cpu controller is on cgroup v2 here (use cpu.max, cpu.max.burst, cpu.weight)");
  auto cs = make_knob("cgroup:/work.slice:cpuset.cpus");
  ASSERT_TRUE(cs->write(h, "1,0").ok());
  EXPECT_EQ(t.read("sys/fs/cgroup/work.slice/cpuset.cpus"), "0-1\n");
  EXPECT_EQ(make_knob("cgroup:/missing.slice:cpu.max")->not_settable(h).value_or(""),
            "cgroup /missing.slice does not exist (/sys/fs/cgroup/missing.slice; set \"create\": true to create it)");
}

TEST(KnobCgroup, HybridMapsV2NamesToV1Files) {
  TempTree t;
  t.write("proc/self/mountinfo", kHybridMountinfo);
  t.write("sys/fs/cgroup/unified/cgroup.controllers", "");
  t.write("sys/fs/cgroup/cpu/app/cpu.cfs_quota_us", "-1\n");
  t.write("sys/fs/cgroup/cpu/app/cpu.cfs_period_us", "100000\n");
  t.write("sys/fs/cgroup/cpu/app/cpu.cfs_burst_us", "0\n");
  t.write("sys/fs/cgroup/cpu/app/cpu.shares", "1024\n");
  Host h(t.path());
  auto k = make_knob("cgroup:/app:cpu.max");
  ASSERT_FALSE(k->not_settable(h)) << *k->not_settable(h);
  const std::string raw = k->read_raw(h).data;
  EXPECT_EQ(raw, "max 100000\n");
  ASSERT_TRUE(k->write(h, "50000 10000").ok());
  EXPECT_EQ(t.read("sys/fs/cgroup/cpu/app/cpu.cfs_quota_us"), "50000\n");
  EXPECT_EQ(t.read("sys/fs/cgroup/cpu/app/cpu.cfs_period_us"), "10000\n");
  EXPECT_EQ(k->normalise(k->read_raw(h).data), "50000 10000");
  ASSERT_TRUE(k->restore(h, raw).ok());
  EXPECT_EQ(t.read("sys/fs/cgroup/cpu/app/cpu.cfs_quota_us"), "-1\n");
  EXPECT_EQ(t.read("sys/fs/cgroup/cpu/app/cpu.cfs_period_us"), "100000\n");

  auto b = make_knob("cgroup:/app:cpu.max.burst");
  ASSERT_TRUE(b->write(h, "5000").ok());
  EXPECT_EQ(t.read("sys/fs/cgroup/cpu/app/cpu.cfs_burst_us"), "5000\n");
  EXPECT_EQ(make_knob("cgroup:/app:cpu.weight")->not_settable(h).value_or(""),
            "cpu.weight has no exact cgroup v1 equivalent (the cpu controller is on v1 here): use cgroup:/app:cpu.shares");
  auto sh = make_knob("cgroup:/app:cpu.shares");
  EXPECT_EQ(sh->validate("1").value_or(""), "must be 2..262144, got 1");
  ASSERT_TRUE(sh->write(h, "2048").ok());
  EXPECT_EQ(t.read("sys/fs/cgroup/cpu/app/cpu.shares"), "2048\n");
  EXPECT_EQ(make_knob("cgroup:/app:cpu.cfs_quota_us")->validate("10").value_or(""), "must be -1 (no limit) or ≥ 1000 usec, got '10'");
}

TEST(KnobCgroup, SymlinkEscapeIsRefused) {
  TempTree t;
  t.write("proc/self/mountinfo", kUnifiedMountinfo);
  t.write("sys/fs/cgroup/cgroup.controllers", "cpu\n");
  t.write("etc/cpu.max", "precious\n");
  t.symlink("../../../etc", "sys/fs/cgroup/evil");
  Host h(t.path());
  auto k = make_knob("cgroup:/evil:cpu.max");
  EXPECT_EQ(k->not_settable(h).value_or(""), "cgroup path /evil resolves outside the cgroup mount /sys/fs/cgroup");
  auto out = k->write(h, "max");
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(out.message, "cgroup:/evil:cpu.max: cgroup path /evil resolves outside the cgroup mount /sys/fs/cgroup");
  EXPECT_EQ(t.read("etc/cpu.max"), "precious\n");
  auto d = make_knob("cgroup_dir:/evil/sub");
  EXPECT_EQ(d->not_settable(h).value_or(""), "parent cgroup /sys/fs/cgroup/evil resolves outside the cgroup mount /sys/fs/cgroup");
  EXPECT_FALSE(d->write(h, "present").ok());
  EXPECT_FALSE(h.exists("/etc/sub"));
}

// --- ethtool ------------------------------------------------------------------------------------

TEST(KnobEthtool, CapturedTreeIsLiveOnly) {
  TempTree t;
  Host h(t.path());
  auto k = make_knob("ethtool:eth0:channels.combined");
  EXPECT_EQ(k->kind(), "ethtool");
  EXPECT_EQ(k->not_settable(h).value_or(""), "live host only (ethtool settings come from the driver over netlink)");
  EXPECT_FALSE(k->read_raw(h).ok);
  EXPECT_EQ(k->write(h, "2").message, "ethtool:eth0:channels.combined: live host only");
  EXPECT_EQ(k->validate("0").value_or(""), "must be 1..4294967295, got 0");
  EXPECT_EQ(make_knob("ethtool:eth0:coalesce.adaptive_rx")->validate("2").value_or(""), "must be 0..1, got 2");
  EXPECT_FALSE(make_knob("ethtool:eth0:rings.rx")->validate("4096"));
}

}  // namespace
}  // namespace tunectl
