#include <gtest/gtest.h>

#include "core/parse.h"

using namespace tunectl;

TEST(Cpulist, ParsesRangesAndSingles) {
  auto p = parse_cpulist("0-3,8,10-11\n");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(*p.value, (CpuSet{0, 1, 2, 3, 8, 10, 11}));
}

// A hand-written list may repeat or reorder CPUs; the set is the same, ascending and without repeats.
TEST(Cpulist, UnorderedAndOverlappingItemsGiveTheSortedSet) {
  auto p = parse_cpulist("8,0-3,2-4,3,65535,1");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(*p.value, (CpuSet{0, 1, 2, 3, 4, 8, 65535}));
  auto same = parse_cpulist("0-2,2");
  ASSERT_TRUE(same.ok()) << same.error;
  EXPECT_EQ(*same.value, (CpuSet{0, 1, 2}));
}

// The largest list there is, repeated: the result stays one entry per CPU.
TEST(Cpulist, RepeatedFullRangeStaysOneEntryPerCpu) {
  std::string text = "0-65535";
  for (int i = 0; i < 50; ++i) text += ",0-65535";
  auto p = parse_cpulist(text);
  ASSERT_TRUE(p.ok()) << p.error;
  ASSERT_EQ(p.value->size(), 65536u);
  EXPECT_EQ(p.value->front(), 0);
  EXPECT_EQ(p.value->back(), 65535);
}

TEST(Cpulist, EmptyIsEmptySet) {
  auto p = parse_cpulist("\n");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p.value->empty());
}

TEST(Cpulist, RejectsGarbageWithReason) {
  for (const char* bad : {"0-", "a", "3-1", "1,,2", "-1", "0-99999999", "1 2"}) {
    auto p = parse_cpulist(bad);
    EXPECT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.error.find("bad cpulist"), std::string::npos) << p.error;
  }
}

TEST(Cpulist, FormatIsCanonical) {
  EXPECT_EQ(format_cpulist({8, 0, 1, 2, 3, 10, 11, 3}), "0-3,8,10-11");
  EXPECT_EQ(format_cpulist({}), "");
  EXPECT_EQ(format_cpulist({5}), "5");
  EXPECT_EQ(format_cpulist({1, 2}), "1-2");
}

TEST(HexMask, SingleWord) {
  auto p = parse_hex_mask("3\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p.value, (CpuSet{0, 1}));
}

TEST(HexMask, MultiWordMostSignificantFirst) {
  // 64 CPUs, CPUs 0-15 and 32: words "00000001,0000ffff".
  auto p = parse_hex_mask("00000001,0000ffff");
  ASSERT_TRUE(p.ok());
  CpuSet want;
  for (int i = 0; i < 16; ++i) want.push_back(i);
  want.push_back(32);
  EXPECT_EQ(*p.value, want);
}

TEST(HexMask, RoundTripsAnyCpuCount) {
  for (int ncpus : {1, 2, 4, 31, 32, 33, 64, 96, 1024}) {
    CpuSet cpus;
    for (int c = 0; c < ncpus; c += 3) cpus.push_back(c);
    auto text = format_hex_mask(cpus, ncpus);
    auto back = parse_hex_mask(text);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back.value, cpus) << ncpus;
  }
  EXPECT_EQ(format_hex_mask({0, 1}, 2), "3");        // as /proc/irq/default_smp_affinity on 2 CPUs
  EXPECT_EQ(format_hex_mask({0}, 64), "00000000,00000001");
}

TEST(HexMask, RejectsGarbage) {
  EXPECT_FALSE(parse_hex_mask("xyz").ok());
  EXPECT_FALSE(parse_hex_mask("123456789").ok());  // a word has at most 8 digits
  EXPECT_FALSE(parse_hex_mask("ff,,ff").ok());
  EXPECT_FALSE(parse_hex_mask("").ok());
}

TEST(Bracketed, FindsSelected) {
  auto p = parse_bracketed("always [madvise] never\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value->selected, "madvise");
  EXPECT_EQ(p.value->choices, (std::vector<std::string>{"always", "madvise", "never"}));
  auto d = parse_bracketed("always defer defer+madvise [madvise] never");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value->selected, "madvise");
  EXPECT_EQ(d.value->choices.size(), 5u);
}

TEST(Bracketed, RejectsTwoSelectedOrUnbalanced) {
  EXPECT_FALSE(parse_bracketed("[a] [b]").ok());
  EXPECT_FALSE(parse_bracketed("a [b c]").ok());
  EXPECT_FALSE(parse_bracketed("").ok());
}

TEST(KeyValues, CpuStat) {
  auto kv = parse_key_values("usage_usec 1234\nuser_usec 1000\nnr_periods 50\nnr_throttled 7\nthrottled_usec 99\n");
  EXPECT_EQ(kv.values.at("nr_throttled"), 7);
  EXPECT_EQ(kv.values.at("throttled_usec"), 99);
  EXPECT_TRUE(kv.bad.empty());
  auto bad = parse_key_values("nr_periods x\nok 1\n");
  EXPECT_EQ(bad.values.size(), 1u);
  EXPECT_EQ(bad.bad.size(), 1u);
}

TEST(Meminfo, KeepsKb) {
  auto m = parse_meminfo("MemTotal:       24567892 kB\nAnonHugePages:      2048 kB\nHugePages_Total:       0\n");
  EXPECT_EQ(m.at("MemTotal"), 24567892);
  EXPECT_EQ(m.at("AnonHugePages"), 2048);
  EXPECT_EQ(m.at("HugePages_Total"), 0);
}

TEST(Netstat, HeaderValuePairs) {
  const char* text =
      "TcpExt: SyncookiesSent SyncookiesRecv TCPKeepAlive TCPAbortOnData\n"
      "TcpExt: 0 0 17 3\n"
      "IpExt: InNoRoutes InTruncatedPkts\n"
      "IpExt: 0 0\n";
  auto p = parse_netstat(text);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.value->at("TcpExt").at("TCPKeepAlive"), 17);
  EXPECT_EQ(p.value->at("TcpExt").at("TCPAbortOnData"), 3);
  EXPECT_EQ(p.value->at("IpExt").size(), 2u);
}

TEST(Netstat, MismatchedOrTruncatedIsAnError) {
  EXPECT_FALSE(parse_netstat("TcpExt: A B\nTcpExt: 1\n").ok());
  EXPECT_FALSE(parse_netstat("TcpExt: A B\n").ok());
  EXPECT_FALSE(parse_netstat("TcpExt: A\nIpExt: 1\n").ok());
  EXPECT_FALSE(parse_netstat("TcpExt: A\nTcpExt: x\n").ok());
}

TEST(Sockstat, Sections) {
  auto s = parse_sockstat(
      "sockets: used 138\nTCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1\nUDP: inuse 3 mem 2\nFRAG: inuse 0 memory 0\n");
  EXPECT_EQ(s.at("TCP").at("tw"), 2);
  EXPECT_EQ(s.at("TCP").at("inuse"), 5);
  EXPECT_EQ(s.at("sockets").at("used"), 138);
}

// Copied from this VM's /proc/interrupts (kernel 6.x, 2 CPUs), including arch rows.
static const char* kVmInterrupts =
    "           CPU0       CPU1       \n"
    "  0:         33          0   IO-APIC   2-edge      timer\n"
    " 26:          0         14  IO-APIC   4-edge      ttyS0\n"
    " 36:          0       7039 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0\n"
    " 38:          0        372 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0\n"
    " 39:        304          0 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0\n"
    "NMI:          0          0   Non-maskable interrupts\n"
    "LOC:       4425       4946   Local timer interrupts\n"
    "ERR:          0\n"
    "MIS:          0\n";

TEST(Interrupts, ParsesVmFormat) {
  auto p = parse_interrupts(kVmInterrupts);
  ASSERT_TRUE(p.ok()) << p.error;
  const auto& ints = *p.value;
  EXPECT_EQ(ints.cpus, (std::vector<int>{0, 1}));
  ASSERT_EQ(ints.rows.size(), 9u);
  const auto& r = ints.rows[3];
  EXPECT_EQ(r.irq, 38);
  EXPECT_EQ(r.counts, (std::vector<uint64_t>{0, 372}));
  EXPECT_EQ(r.chip, "PCI-MSIX-0000:00:03.0");
  EXPECT_EQ(r.hwirq, "1");
  EXPECT_EQ(r.trigger, "edge");
  EXPECT_EQ(r.actions, "virtio2-input.0");
  EXPECT_EQ(ints.rows[5].label, "NMI");
  EXPECT_EQ(ints.rows[5].description, "Non-maskable interrupts");
  EXPECT_EQ(ints.rows[7].label, "ERR");
  EXPECT_EQ(ints.rows[7].counts.size(), 1u);
  EXPECT_TRUE(ints.bad.empty());
}

TEST(Interrupts, NamesWithSpacesAndSharedActions) {
  const char* text =
      "            CPU0       CPU1       CPU2       CPU3\n"
      "  9:          0          0          0          0  IR-IO-APIC    9-fasteoi   acpi\n"
      " 16:          1          0          0          0  IR-IO-APIC   16-fasteoi   ehci_hcd:usb1, i801_smbus\n"
      "120:          0          0          0          0  DMAR-MSI    0-edge      dmar0\n"
      "124:          5          0          0          0  IR-PCI-MSI 524288-edge      PCIe PME, aerdrv\n";
  auto p = parse_interrupts(text);
  ASSERT_TRUE(p.ok()) << p.error;
  ASSERT_EQ(p.value->rows.size(), 4u);
  EXPECT_EQ(p.value->rows[1].actions, "ehci_hcd:usb1, i801_smbus");
  EXPECT_EQ(p.value->rows[3].actions, "PCIe PME, aerdrv");
  EXPECT_EQ(p.value->rows[3].hwirq, "524288");
  EXPECT_EQ(p.value->rows[0].trigger, "fasteoi");
}

TEST(Interrupts, OldKernelGluedChipTrigger) {
  auto p = parse_interrupts("           CPU0\n  0:        127   IO-APIC-edge      timer\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value->rows[0].chip, "IO-APIC");
  EXPECT_EQ(p.value->rows[0].trigger, "edge");
  EXPECT_EQ(p.value->rows[0].actions, "timer");
}

TEST(Interrupts, TruncatedRowsAreReportedNotFatal) {
  const char* text =
      "           CPU0       CPU1\n"
      " 38:          0        372 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0\n"
      " 39:        304\n"
      "garbage\n";
  auto p = parse_interrupts(text);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value->rows.size(), 1u);
  EXPECT_EQ(p.value->bad.size(), 2u);
}

TEST(Interrupts, BadHeaderIsAnError) {
  EXPECT_FALSE(parse_interrupts("").ok());
  EXPECT_FALSE(parse_interrupts("hello world\n").ok());
  EXPECT_FALSE(parse_interrupts("\n 0: 1 2\n").ok());
}
