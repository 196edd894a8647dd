// Knob kinds over captured host trees: sysctl, thp, irq, rps/rps_flow/xps. Files are byte-exact
// copies of this VM's kernel files.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>

#include "core/errors.h"
#include "core/host.h"
#include "tests/unit/test_helpers.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/knob_util.h"

namespace tunectl {
namespace {
using test::TempTree;

std::string raw_of(const Knob& k, const Host& h) {
  ReadResult r = k.read_raw(h);
  EXPECT_TRUE(r.ok) << r.error;
  return r.data;
}

// --- sysctl -------------------------------------------------------------------------------------

TEST(KnobSysctl, RoundTripKeepaliveOnTree) {
  TempTree t;
  t.write("proc/sys/net/ipv4/tcp_keepalive_time", "7200\n");
  Host h(t.path());
  auto k = make_knob("sysctl:net.ipv4.tcp_keepalive_time");
  EXPECT_EQ(k->kind(), "sysctl");
  EXPECT_TRUE(k->per_netns());
  const std::string raw = raw_of(*k, h);
  EXPECT_EQ(raw, "7200\n");
  EXPECT_EQ(k->normalise(raw), "7200");
  EXPECT_EQ(k->normalise_raw(raw), "7200");
  EXPECT_FALSE(k->validate("60"));
  EXPECT_FALSE(k->not_settable(h));
  ASSERT_TRUE(k->write(h, "60").ok());
  EXPECT_EQ(t.read("proc/sys/net/ipv4/tcp_keepalive_time"), "60\n");
  EXPECT_EQ(k->normalise(raw_of(*k, h)), k->normalise("60"));
  ASSERT_TRUE(k->restore(h, raw).ok());
  EXPECT_EQ(t.read("proc/sys/net/ipv4/tcp_keepalive_time"), "7200\n");
}

TEST(KnobSysctl, Ranges) {
  auto ka = make_knob("sysctl:net.ipv4.tcp_keepalive_time");
  EXPECT_EQ(ka->validate("0").value_or(""), "must be 1..32767, got 0");
  EXPECT_EQ(ka->validate("32768").value_or(""), "must be 1..32767, got 32768");
  EXPECT_FALSE(ka->validate("32767"));
  EXPECT_EQ(ka->validate("abc").value_or(""), "must be an integer 1..32767, got 'abc'");
  EXPECT_EQ(ka->validate("1 2").value_or(""), "expects one integer, got '1 2'");
  EXPECT_TRUE(make_knob("sysctl:net.ipv4.tcp_keepalive_intvl")->validate("0"));
  EXPECT_EQ(make_knob("sysctl:net.ipv4.tcp_keepalive_probes")->validate("128").value_or(""), "must be 1..127, got 128");
  EXPECT_EQ(make_knob("sysctl:net.ipv4.tcp_fin_timeout")->validate("-5").value_or(""), "must be 1..120, got -5");
  auto tw = make_knob("sysctl:net.ipv4.tcp_tw_reuse");
  EXPECT_FALSE(tw->validate("2"));
  EXPECT_EQ(tw->validate("3").value_or(""), "must be 0..2, got 3");
  auto som = make_knob("sysctl:net.core.somaxconn");
  EXPECT_EQ(som->validate("0").value_or(""), "must be ≥ 1, got 0");
  EXPECT_FALSE(som->validate("2147483647"));
  EXPECT_TRUE(som->validate("2147483648"));
  EXPECT_EQ(make_knob("sysctl:net.ipv4.tcp_fastopen")->validate("8").value_or(""),
            "must be a combination of the flags 0x1, 0x2, 0x4, 0x200, 0x400, got 8");
  EXPECT_FALSE(make_knob("sysctl:net.ipv4.tcp_fastopen")->validate("3"));
  EXPECT_EQ(make_knob("sysctl:vm.swappiness")->validate("201").value_or(""), "must be 0..200, got 201");
  EXPECT_FALSE(make_knob("sysctl:net.core.busy_poll")->per_netns());
  EXPECT_FALSE(make_knob("sysctl:vm.swappiness")->per_netns());
  EXPECT_TRUE(make_knob("sysctl:net.core.somaxconn")->per_netns());
}

TEST(KnobSysctl, MultiValue) {
  TempTree t;
  t.write("proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t33554432\n");
  t.write("proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
  Host h(t.path());
  auto rmem = make_knob("sysctl:net.ipv4.tcp_rmem");
  const std::string raw = raw_of(*rmem, h);
  EXPECT_EQ(rmem->normalise(raw), "4096 131072 33554432");
  EXPECT_EQ(rmem->normalise("  4096   131072 33554432 "), rmem->normalise(raw));
  EXPECT_EQ(rmem->validate("4096 131072").value_or(""),
            "expects 3 integers (min default max), got '4096 131072'");
  EXPECT_EQ(rmem->validate("4096 0 6291456").value_or(""), "default must be ≥ 1, got 0");
  EXPECT_EQ(rmem->validate("8192 4096 6291456").value_or(""), "default (4096) must be ≥ min (8192)");
  ASSERT_TRUE(rmem->write(h, "4096 87380 6291456").ok());
  EXPECT_EQ(t.read("proc/sys/net/ipv4/tcp_rmem"), "4096\t87380\t6291456\n");
  ASSERT_TRUE(rmem->restore(h, raw).ok());
  EXPECT_EQ(t.read("proc/sys/net/ipv4/tcp_rmem"), raw);

  auto ports = make_knob("sysctl:net.ipv4.ip_local_port_range");
  EXPECT_EQ(ports->validate("60000 1024").value_or(""), "high (1024) must be ≥ low (60000)");
  EXPECT_EQ(ports->validate("0 1024").value_or(""), "low must be 1..65535, got 0");
  EXPECT_EQ(ports->validate("1024 65536").value_or(""), "high must be 1..65535, got 65536");
  EXPECT_FALSE(ports->validate("1024 65535"));
}

TEST(KnobSysctl, NotSettableAndErrno) {
  TempTree t;
  t.write("proc/sys/net/ipv4/tcp_fin_timeout", "60\n", 0444);
  Host h(t.path());
  auto fin = make_knob("sysctl:net.ipv4.tcp_fin_timeout");
  auto why = fin->not_settable(h);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("read-only /proc/sys"), std::string::npos) << *why;
  auto out = fin->write(h, "30");
  EXPECT_EQ(out.err, EACCES);
  EXPECT_EQ(out.message, "sysctl:net.ipv4.tcp_fin_timeout: read-only /proc/sys (container?) (EACCES)");
  EXPECT_EQ(t.read("proc/sys/net/ipv4/tcp_fin_timeout"), "60\n");

  auto sw = make_knob("sysctl:vm.swappiness");
  auto missing = sw->not_settable(h);
  ASSERT_TRUE(missing);
  EXPECT_EQ(*missing, "/proc/sys/vm/swappiness does not exist");
  auto w = sw->write(h, "10");
  EXPECT_EQ(w.err, ENOENT);
  EXPECT_EQ(w.message, "sysctl:vm.swappiness: /proc/sys/vm/swappiness does not exist (ENOENT)");
}

// --- thp ----------------------------------------------------------------------------------------

const char* kThp = "sys/kernel/mm/transparent_hugepage/";

TEST(KnobThp, ChoiceRoundTripOnTree) {
  TempTree t;
  t.write(std::string(kThp) + "enabled", "always [madvise] never\n");
  t.write(std::string(kThp) + "defrag", "always defer defer+madvise [madvise] never\n");
  Host h(t.path());
  auto k = make_knob("thp:enabled");
  EXPECT_EQ(k->kind(), "thp");
  const std::string raw = raw_of(*k, h);
  EXPECT_EQ(k->normalise(raw), "madvise");
  EXPECT_EQ(k->normalise("never"), "never");
  EXPECT_FALSE(k->validate_for(h, "never"));
  EXPECT_EQ(k->validate("sometimes").value_or(""), "must be one of always, madvise, never, got 'sometimes'");
  ASSERT_TRUE(k->write(h, "never").ok());
  // The tree shows what the kernel would show afterwards.
  EXPECT_EQ(t.read(std::string(kThp) + "enabled"), "always madvise [never]\n");
  EXPECT_EQ(k->normalise(raw_of(*k, h)), "never");
  ASSERT_TRUE(k->restore(h, raw).ok());
  EXPECT_EQ(t.read(std::string(kThp) + "enabled"), raw);

  auto d = make_knob("thp:defrag");
  ASSERT_TRUE(d->write(h, "defer+madvise").ok());
  EXPECT_EQ(t.read(std::string(kThp) + "defrag"), "always defer [defer+madvise] madvise never\n");
}

TEST(KnobThp, ValidatesAgainstTheFilesOwnChoices) {
  TempTree t;
  // An older kernel without defer+madvise.
  t.write(std::string(kThp) + "defrag", "always defer [madvise] never\n");
  Host h(t.path());
  auto d = make_knob("thp:defrag");
  EXPECT_FALSE(d->validate("defer+madvise"));  // known word
  EXPECT_EQ(d->validate_for(h, "defer+madvise").value_or(""),
            "must be one of always, defer, madvise, never (offered by "
            "/sys/kernel/mm/transparent_hugepage/defrag), got 'defer+madvise'");
  auto out = d->write(h, "defer+madvise");
  EXPECT_EQ(out.err, EINVAL);
  EXPECT_EQ(out.message, "thp:defrag: kernel rejected value 'defer+madvise' (EINVAL)");
}

TEST(KnobThp, NumericAndPerSize) {
  TempTree t;
  t.write(std::string(kThp) + "khugepaged/max_ptes_none", "511\n");
  t.write(std::string(kThp) + "hpage_pmd_size", "2097152\n");
  t.write(std::string(kThp) + "hugepages-2048kB/enabled", "always [inherit] madvise never\n");
  Host h(t.path());
  auto m = make_knob("thp:khugepaged/max_ptes_none");
  EXPECT_EQ(m->validate_for(h, "512").value_or(""), "must be 0..511, got 512");
  const std::string raw = raw_of(*m, h);
  ASSERT_TRUE(m->write(h, "0").ok());
  EXPECT_EQ(t.read(std::string(kThp) + "khugepaged/max_ptes_none"), "0\n");
  ASSERT_TRUE(m->restore(h, raw).ok());
  EXPECT_EQ(t.read(std::string(kThp) + "khugepaged/max_ptes_none"), "511\n");
  EXPECT_EQ(make_knob("thp:khugepaged/pages_to_scan")->validate("0").value_or(""), "must be 1..4294967295, got 0");
  EXPECT_TRUE(make_knob("thp:use_zero_page")->validate("2"));

  auto ps = make_knob("thp:hugepages-2048kB/enabled");
  EXPECT_EQ(ps->normalise(raw_of(*ps, h)), "inherit");
  ASSERT_TRUE(ps->write(h, "never").ok());
  EXPECT_EQ(t.read(std::string(kThp) + "hugepages-2048kB/enabled"), "always inherit madvise [never]\n");
  auto missing = make_knob("thp:hugepages-64kB/enabled")->not_settable(h);
  ASSERT_TRUE(missing);
  EXPECT_EQ(*missing, "/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled does not exist");
  TempTree empty;
  EXPECT_NE(make_knob("thp:enabled")->not_settable(Host(empty.path()))->find("not supported"), std::string::npos);
}

// --- irq ----------------------------------------------------------------------------------------

void write_irq(const TempTree& t, int irq, const std::string& list, const std::string& eff, unsigned mode) {
  const std::string d = "proc/irq/" + std::to_string(irq) + "/";
  t.write(d + "smp_affinity_list", list, mode);
  t.write(d + "effective_affinity_list", eff, 0444);
}

TEST(KnobIrq, RoundTripOnTree) {
  TempTree t;
  write_irq(t, 38, "0-1\n", "1\n", 0644);
  t.write("sys/devices/system/cpu/online", "0-1\n");
  Host h(t.path());
  auto k = make_knob("irq:38:affinity");
  EXPECT_EQ(k->kind(), "irq");
  const std::string raw = raw_of(*k, h);
  EXPECT_EQ(k->normalise(raw), "0-1");
  EXPECT_EQ(k->normalise("1,0"), "0-1");
  EXPECT_FALSE(k->not_settable(h));
  EXPECT_FALSE(k->validate_for(h, "1"));
  EXPECT_EQ(k->validate("").value_or(""), "an IRQ needs at least one CPU, got an empty cpulist");
  EXPECT_TRUE(k->validate("0-"));
  EXPECT_EQ(k->validate_for(h, "0-3").value_or(""), "CPUs 2-3 are not online (online: 0-1)");
  ASSERT_TRUE(k->write(h, "1,0").ok());
  EXPECT_EQ(t.read("proc/irq/38/smp_affinity_list"), "0-1\n");
  ASSERT_TRUE(k->write(h, "0").ok());
  EXPECT_EQ(t.read("proc/irq/38/smp_affinity_list"), "0\n");
  // Effective affinity still CPU 1: pending, not a failure.
  Effect e = k->check_effect(h, "0");
  EXPECT_EQ(e.status, EffectStatus::kPending);
  EXPECT_EQ(e.detail, "effective affinity 1 (requested 0); x86 moves an IRQ at its next interrupt");
  EXPECT_EQ(k->check_effect(h, "0-1").status, EffectStatus::kOk);
  ASSERT_TRUE(k->restore(h, raw).ok());
  EXPECT_EQ(t.read("proc/irq/38/smp_affinity_list"), "0-1\n");
}

TEST(KnobIrq, ManagedAndMissing) {
  TempTree t;
  write_irq(t, 36, "0-1\n", "0\n", 0444);
  Host h(t.path());
  auto k = make_knob("irq:36:affinity");
  auto why = k->not_settable(h);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why,
            "managed IRQ: kernel refuses affinity changes: smp_affinity_list is read-only (kernel-managed affinity)");
  auto out = k->write(h, "0");
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(t.read("proc/irq/36/smp_affinity_list"), "0-1\n");
  EXPECT_EQ(*make_knob("irq:99:affinity")->not_settable(h), "IRQ 99 does not exist (/proc/irq/99 missing)");
}

TEST(KnobErrno, Mapping) {
  // What live kernels answer, mapped per kind (the tree cannot produce EPERM/EIO/EROFS itself).
  using knob_util::WriteContext;
  using knob_util::write_error;
  TempTree t;
  Host h(t.path());
  const std::string irq = "/proc/irq/36/smp_affinity_list";
  EXPECT_EQ(write_error(h, "irq:36:affinity", irq, EPERM, "0\n", WriteContext::kIrqAffinity).message,
            "irq:36:affinity: managed IRQ: kernel refuses affinity changes (EPERM)");
  EXPECT_EQ(write_error(h, "irq:36:affinity", irq, EIO, "0\n", WriteContext::kIrqAffinity).message,
            "irq:36:affinity: managed IRQ: kernel refuses affinity changes (EIO)");
  EXPECT_EQ(write_error(h, "irq:38:affinity", irq, EINVAL, "5\n", WriteContext::kIrqAffinity).message,
            "irq:38:affinity: kernel rejected value '5' (EINVAL)");
  const std::string sys = "/proc/sys/vm/swappiness";
  EXPECT_EQ(write_error(h, "sysctl:vm.swappiness", sys, EROFS, "10\n", WriteContext::kProcSys).message,
            "sysctl:vm.swappiness: read-only /proc/sys (container?) (EROFS)");
  EXPECT_EQ(write_error(h, "sysctl:vm.swappiness", sys, EACCES, "10\n", WriteContext::kProcSys).message,
            "sysctl:vm.swappiness: read-only /proc/sys (container?) (EACCES)");
  auto e = write_error(h, "sysctl:vm.swappiness", sys, EINVAL, "300\n", WriteContext::kProcSys);
  EXPECT_EQ(e.err, EINVAL);
  EXPECT_EQ(e.message, "sysctl:vm.swappiness: kernel rejected value '300' (EINVAL)");
  EXPECT_EQ(write_error(h, "thp:enabled", "/x", EBUSY, "never", WriteContext::kGeneric).message,
            "thp:enabled: writing 'never' to /x failed: Device or resource busy (EBUSY)");
}

TEST(KnobIrq, FixtureTree) {
  TempTree t;
  Host h(t.copy_fixture("vm"));
  auto managed = make_knob("irq:36:affinity");
  ASSERT_TRUE(managed->not_settable(h));
  EXPECT_NE(managed->not_settable(h)->find("managed IRQ"), std::string::npos);
  auto k = make_knob("irq:38:affinity");
  ASSERT_FALSE(k->not_settable(h)) << *k->not_settable(h);
  const std::string raw = raw_of(*k, h);
  ASSERT_TRUE(k->write(h, "1").ok());
  EXPECT_EQ(k->normalise(raw_of(*k, h)), "1");
  ASSERT_TRUE(k->restore(h, raw).ok());
  EXPECT_EQ(raw_of(*k, h), raw);
}

// --- rps / rps_flow / xps -----------------------------------------------------------------------

TEST(KnobRps, MaskRoundTripOnTree) {
  TempTree t;
  t.write("sys/class/net/eth0/queues/rx-0/rps_cpus", "0\n");
  t.write("sys/class/net/eth0/queues/rx-0/rps_flow_cnt", "0\n");
  t.write("sys/devices/system/cpu/possible", "0-1\n");
  Host h(t.path());
  auto k = make_knob("rps:eth0:rx-0");
  EXPECT_EQ(k->kind(), "rps");
  const std::string raw = raw_of(*k, h);
  EXPECT_EQ(k->normalise_raw(raw), "");
  EXPECT_EQ(k->normalise(raw), "");
  EXPECT_EQ(k->normalise("0-1"), "0-1");
  EXPECT_EQ(k->normalise("0x3"), "0-1");
  EXPECT_EQ(k->normalise_raw("3\n"), "0-1");
  EXPECT_FALSE(k->validate(""));
  EXPECT_TRUE(k->validate("0-"));
  EXPECT_EQ(k->validate_for(h, "0-2").value_or(""), "CPU 2 does not exist (this host has 2 possible CPUs)");
  ASSERT_TRUE(k->write(h, "0-1").ok());
  EXPECT_EQ(t.read("sys/class/net/eth0/queues/rx-0/rps_cpus"), "3\n");
  EXPECT_EQ(k->normalise_raw(raw_of(*k, h)), k->normalise("0-1"));
  ASSERT_TRUE(k->restore(h, raw).ok());
  EXPECT_EQ(t.read("sys/class/net/eth0/queues/rx-0/rps_cpus"), "0\n");

  auto f = make_knob("rps_flow:eth0:rx-0");
  EXPECT_EQ(f->validate("1000").value_or(""), "must be 0 or a power of two, got 1000");
  EXPECT_FALSE(f->validate("4096"));
  ASSERT_TRUE(f->write(h, "4096").ok());
  EXPECT_EQ(t.read("sys/class/net/eth0/queues/rx-0/rps_flow_cnt"), "4096\n");
  ASSERT_TRUE(f->restore(h, "0\n").ok());
  EXPECT_EQ(t.read("sys/class/net/eth0/queues/rx-0/rps_flow_cnt"), "0\n");
}

TEST(KnobRps, WideMasks) {
  TempTree t;
  t.write("sys/class/net/eth0/queues/rx-3/rps_cpus", "00000000,00000000\n");
  t.write("sys/devices/system/cpu/possible", "0-63\n");
  Host h(t.path());
  auto k = make_knob("rps:eth0:rx-3");
  ASSERT_TRUE(k->write(h, "0-3,32").ok());
  EXPECT_EQ(t.read("sys/class/net/eth0/queues/rx-3/rps_cpus"), "00000001,0000000f\n");
  EXPECT_EQ(k->normalise_raw(raw_of(*k, h)), "0-3,32");
}

TEST(KnobRps, NotSettable) {
  TempTree t;
  t.write("sys/class/net/eth0/queues/rx-0/rps_cpus", "0\n");
  t.write("sys/class/net/eth0/queues/tx-0/tx_maxrate", "0\n");
  Host h(t.path());
  EXPECT_EQ(*make_knob("rps:eth9:rx-0")->not_settable(h), "no network interface 'eth9'");
  EXPECT_EQ(*make_knob("rps:eth0:rx-1")->not_settable(h), "interface eth0 has no queue rx-1");
  EXPECT_EQ(*make_knob("xps:eth0:tx-0")->not_settable(h),
            "not applicable: eth0 tx-0 has no XPS map (single-queue device)");
}

TEST(KnobRps, FixtureTreeThroughSymlinks) {
  TempTree t;
  Host h(t.copy_fixture("vm"));
  auto k = make_knob("rps:eth0:rx-0");
  ASSERT_FALSE(k->not_settable(h)) << *k->not_settable(h);
  const std::string raw = raw_of(*k, h);
  ASSERT_TRUE(k->write(h, "1").ok());
  EXPECT_EQ(k->normalise_raw(raw_of(*k, h)), "1");
  ASSERT_TRUE(k->restore(h, raw).ok());
  EXPECT_EQ(raw_of(*k, h), raw);
  EXPECT_TRUE(make_knob("xps:eth0:tx-0")->not_settable(h));
}

}  // namespace
}  // namespace tunectl
