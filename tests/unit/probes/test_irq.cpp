// The IRQ probe on small trees whose file formats are copied from a live virtio VM.
#include <gtest/gtest.h>

#include <algorithm>

#include "probes/irq.h"
#include "tests/unit/test_helpers.h"
#include "tuner/knobs/knob.h"

namespace tunectl {
namespace {

using test::TempTree;

const IrqInfo* find_irq(const Irqs& irqs, int n) {
  for (const auto& i : irqs.irqs)
    if (i.irq == n) return &i;
  return nullptr;
}

bool has_error(const ProbeErrors& errors, const std::string& needle) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(needle) != std::string::npos; });
}

// /proc/irq/N as the kernel lays it out; `mode` 0444 on smp_affinity* marks a managed IRQ.
void write_proc_irq(const TempTree& t, int irq, const std::string& list, const std::string& mask,
                    const std::string& eff_list, const std::string& hint, const std::string& node,
                    unsigned mode = 0644) {
  const std::string d = "proc/irq/" + std::to_string(irq) + "/";
  t.write(d + "smp_affinity", mask + "\n", mode);
  t.write(d + "smp_affinity_list", list + "\n", mode);
  t.write(d + "effective_affinity_list", eff_list + "\n", 0444);
  t.write(d + "affinity_hint", hint + "\n", 0444);
  t.write(d + "node", node + "\n", 0444);
}

void write_sys_irq(const TempTree& t, int irq, const std::string& actions, const std::string& chip,
                   const std::string& hwirq, const std::string& counts) {
  const std::string d = "sys/kernel/irq/" + std::to_string(irq) + "/";
  t.write(d + "actions", actions + "\n", 0444);
  t.write(d + "chip_name", chip + "\n", 0444);
  t.write(d + "hwirq", hwirq + "\n", 0444);
  t.write(d + "type", "edge\n", 0444);
  t.write(d + "per_cpu_count", counts + "\n", 0444);
}

// The VM's virtio-blk request IRQ (managed, read-only) and virtio-net queue IRQs (settable).
void vm_tree(const TempTree& t) {
  t.write("sys/devices/system/cpu/possible", "0-1\n");
  t.write("sys/devices/system/cpu/online", "0-1\n");
  t.write("proc/irq/default_smp_affinity", "3\n");
  write_sys_irq(t, 36, "virtio1-req.0", "PCI-MSIX-0000:00:02.0", "1", "0,52241");
  write_sys_irq(t, 38, "virtio2-input.0", "PCI-MSIX-0000:00:03.0", "1", "0,462");
  write_sys_irq(t, 39, "virtio2-output.0", "PCI-MSIX-0000:00:03.0", "2", "379,0");
  write_sys_irq(t, 27, "", "IO-APIC", "9", "0,0");  // allocated, no handler: not listed
  write_proc_irq(t, 36, "0-1", "3", "1", "0", "0", 0444);
  write_proc_irq(t, 38, "0-1", "3", "1", "3", "-1");
  write_proc_irq(t, 39, "0-1", "3", "0", "3", "-1");
}

TEST(IrqProbe, SysfsDescriptorsAndProcAffinity) {
  TempTree t;
  vm_tree(t);
  ProbeErrors errors;
  Irqs irqs = probe_irqs(Host(t.path()), errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(irqs.count_cpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(irqs.default_affinity, "0-1");
  ASSERT_EQ(irqs.irqs.size(), 3u);
  EXPECT_EQ(find_irq(irqs, 27), nullptr);

  const IrqInfo* blk = find_irq(irqs, 36);
  ASSERT_NE(blk, nullptr);
  EXPECT_EQ(blk->name, "virtio1-req.0");
  EXPECT_EQ(blk->chip, "PCI-MSIX-0000:00:02.0");
  EXPECT_EQ(blk->hwirq, "1");
  EXPECT_EQ(blk->type, "edge");
  EXPECT_EQ(blk->counts.dense(), (std::vector<uint64_t>{0, 52241}));
  EXPECT_EQ(blk->affinity, "0-1");
  EXPECT_EQ(blk->effective_affinity, "1");
  EXPECT_EQ(blk->affinity_hint, "");
  EXPECT_EQ(blk->node, 0);
  EXPECT_TRUE(blk->managed);
  ASSERT_TRUE(blk->managed_reason);
  EXPECT_NE(blk->managed_reason->find("read-only"), std::string::npos);

  const IrqInfo* rx = find_irq(irqs, 38);
  ASSERT_NE(rx, nullptr);
  EXPECT_FALSE(rx->managed);
  EXPECT_EQ(rx->managed_reason, std::nullopt);
  EXPECT_EQ(rx->affinity_hint, "0-1");
  EXPECT_EQ(rx->node, std::nullopt);  // -1: no node
  EXPECT_EQ(find_irq(irqs, 39)->counts.dense(), (std::vector<uint64_t>{379, 0}));
}

TEST(IrqProbe, DebugfsManagedStateCounts) {
  TempTree t;
  vm_tree(t);
  t.write("sys/kernel/debug/irq/irqs/38",
          "handler:  handle_edge_irq\ndevice:   0000:00:03.0\nstatus:   0x00000000\n"
          "dstate:   0x31600200\n            IRQD_ACTIVATED\n            IRQD_IRQ_STARTED\n"
          "            IRQD_AFFINITY_MANAGED\n");
  t.write("sys/kernel/debug/irq/irqs/39", "handler:  handle_edge_irq\ndstate:   0x00401200\n");
  ProbeErrors errors;
  Irqs irqs = probe_irqs(Host(t.path()), errors);
  EXPECT_TRUE(find_irq(irqs, 38)->managed);
  EXPECT_EQ(find_irq(irqs, 38)->managed_reason, "debugfs: IRQD_AFFINITY_MANAGED");
  EXPECT_FALSE(find_irq(irqs, 39)->managed);
}

// Counts come per possible CPU in sysfs; the columns are the online CPUs, as /proc/interrupts.
TEST(IrqProbe, OfflineCpusAreNotColumns) {
  TempTree t;
  t.write("sys/devices/system/cpu/possible", "0-3\n");
  t.write("sys/devices/system/cpu/online", "0,2-3\n");
  write_sys_irq(t, 50, "eth0-TxRx-0", "IR-PCI-MSI-0000:3b:00.0", "524288", "1,2,3,4");
  ProbeErrors errors;
  Irqs irqs = probe_irqs(Host(t.path()), errors);
  EXPECT_EQ(irqs.count_cpus, (std::vector<int>{0, 2, 3}));
  ASSERT_EQ(irqs.irqs.size(), 1u);
  EXPECT_EQ(irqs.irqs[0].counts.dense(), (std::vector<uint64_t>{1, 3, 4}));
}

// Kernels without /sys/kernel/irq: one read of /proc/interrupts (this VM's column layout).
TEST(IrqProbe, FallsBackToProcInterrupts) {
  TempTree t;
  t.write("proc/interrupts",
          "           CPU0       CPU1       \n"
          " 24:          1          0  IO-APIC   5-edge      ACPI:Ged\n"
          " 36:          0      52241 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0\n"
          " 38:          0        462 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0\n"
          " 39:        379\n"
          "NMI:          0          0   Non-maskable interrupts\n"
          "LOC:      24375      26606   Local timer interrupts\n"
          "ERR:          0\n",
          0444);
  write_proc_irq(t, 36, "0-1", "3", "1", "0", "0", 0444);
  write_proc_irq(t, 38, "0-1", "3", "1", "3", "-1");
  ProbeErrors errors;
  Irqs irqs = probe_irqs(Host(t.path()), errors);
  EXPECT_EQ(irqs.count_cpus, (std::vector<int>{0, 1}));
  ASSERT_EQ(irqs.irqs.size(), 3u);  // 24, 36, 38; the truncated 39 row is an error, arch rows are not IRQs
  EXPECT_EQ(find_irq(irqs, 39), nullptr);
  EXPECT_TRUE(has_error(errors, "/proc/interrupts: unparsable row '39:        379'"));
  const IrqInfo* blk = find_irq(irqs, 36);
  EXPECT_EQ(blk->chip, "PCI-MSIX-0000:00:02.0");
  EXPECT_EQ(blk->hwirq, "1");
  EXPECT_EQ(blk->type, "edge");
  EXPECT_EQ(blk->counts.dense(), (std::vector<uint64_t>{0, 52241}));
  EXPECT_TRUE(blk->managed);
  EXPECT_FALSE(find_irq(irqs, 38)->managed);
  EXPECT_EQ(find_irq(irqs, 24)->affinity, std::nullopt);  // no /proc/irq/24 in this tree
}

TEST(IrqProbe, GarbageFilesBecomePerFieldErrors) {
  TempTree t;
  vm_tree(t);
  t.write("proc/irq/38/smp_affinity_list", "0-zz\n");
  t.write("proc/irq/38/affinity_hint", "not-a-mask\n", 0444);
  t.write("proc/irq/38/node", "zero\n", 0444);
  t.write("sys/kernel/irq/39/per_cpu_count", "379,x\n", 0444);
  t.write("proc/irq/default_smp_affinity", "ffff,zz\n");
  ProbeErrors errors;
  Irqs irqs = probe_irqs(Host(t.path()), errors);
  const IrqInfo* rx = find_irq(irqs, 38);
  ASSERT_NE(rx, nullptr);
  EXPECT_EQ(rx->affinity, std::nullopt);
  EXPECT_EQ(rx->affinity_hint, std::nullopt);
  EXPECT_EQ(rx->node, std::nullopt);
  EXPECT_EQ(rx->effective_affinity, "1");  // the other fields survive
  EXPECT_EQ(irqs.default_affinity, std::nullopt);
  EXPECT_TRUE(has_error(errors, "/proc/irq/38/smp_affinity_list: "));
  EXPECT_TRUE(has_error(errors, "/proc/irq/38/affinity_hint: "));
  EXPECT_TRUE(has_error(errors, "/proc/irq/38/node: not an integer: 'zero'"));
  EXPECT_TRUE(has_error(errors, "/sys/kernel/irq/39/per_cpu_count: bad count 'x'"));
  EXPECT_TRUE(has_error(errors, "/proc/irq/default_smp_affinity: "));
  EXPECT_EQ(find_irq(irqs, 39)->counts.columns, 0u);  // not read
}

TEST(IrqProbe, NoSourceAtAllThrows) {
  TempTree t;
  ProbeErrors errors;
  EXPECT_THROW(probe_irqs(Host(t.path()), errors), std::exception);
}

TEST(IrqProbe, VmFixtureTree) {
  const std::string root = test::fixture_host("vm");
  ASSERT_TRUE(Host(root).is_dir("/proc/irq")) << "fixture tree missing: " << root;
  ProbeErrors errors;
  Irqs irqs = probe_irqs(Host(root), errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(irqs.count_cpus, (std::vector<int>{0, 1}));
  const IrqInfo* blk = find_irq(irqs, 36);
  ASSERT_NE(blk, nullptr);
  EXPECT_EQ(blk->name, "virtio1-req.0");
  EXPECT_TRUE(blk->managed) << "restore-modes.sh should make proc/irq/36/smp_affinity 0444";
  const IrqInfo* rx = find_irq(irqs, 38);
  ASSERT_NE(rx, nullptr);
  EXPECT_EQ(rx->name, "virtio2-input.0");
  EXPECT_FALSE(rx->managed);
}

// One decision for the probe and the irq knob: debugfs's flag, else a read-only smp_affinity or
// smp_affinity_list.
TEST(IrqManaged, ReasonFromDebugfsOrReadOnlyFiles) {
  TempTree t;
  vm_tree(t);  // 36: smp_affinity(_list) 0444; 38, 39: writable
  t.write("proc/irq/40/smp_affinity_list", "0-1\n", 0444);  // a tree with the list file only
  t.write("sys/kernel/debug/irq/irqs/39", "dstate:   0x31600200\n            IRQD_AFFINITY_MANAGED\n");
  const Host h(t.path());
  EXPECT_EQ(irq_managed_reason(h, 36), "smp_affinity is read-only (kernel-managed affinity)");
  EXPECT_EQ(irq_managed_reason(h, 40), "smp_affinity_list is read-only (kernel-managed affinity)");
  EXPECT_EQ(irq_managed_reason(h, 39), "debugfs: IRQD_AFFINITY_MANAGED");
  EXPECT_EQ(irq_managed_reason(h, 38), std::nullopt);
  EXPECT_EQ(irq_managed_reason(h, 99), std::nullopt);  // no such IRQ: nothing says managed

  ProbeErrors errors;
  Irqs irqs = probe_irqs(h, errors);
  for (int n : {36, 38, 39}) {
    const IrqInfo* i = find_irq(irqs, n);
    ASSERT_NE(i, nullptr) << n;
    EXPECT_EQ(i->managed_reason, irq_managed_reason(h, n)) << n;
    EXPECT_EQ(i->managed, i->managed_reason.has_value()) << n;
  }
  // The knob refuses exactly the IRQs the probe calls managed, with the same reason.
  for (int n : {36, 38, 39, 40}) {
    auto why = make_knob("irq:" + std::to_string(n) + ":affinity")->not_settable(h);
    auto reason = irq_managed_reason(h, n);
    ASSERT_EQ(why.has_value(), reason.has_value()) << n;
    if (why) {
      EXPECT_EQ(*why, "managed IRQ: kernel refuses affinity changes: " + *reason);
    }
  }
}

}  // namespace
}  // namespace tunectl
