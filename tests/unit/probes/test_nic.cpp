// The NIC probe: IRQ-name classification per driver, sysfs placement/queues on small trees with
// relative links (as sysfs has them), and the captured fixture hosts.
#include <gtest/gtest.h>

#include <algorithm>

#include "probes/netlink/netdev_netlink.h"
#include "probes/nic.h"
#include "tests/unit/test_helpers.h"

namespace tunectl {
namespace {

using test::TempTree;

struct Row {
  const char *driver, *ifname, *pci, *device, *name;
  bool ours;
  int queue;  // -1: no queue index
  const char* kind;
};

// Every naming convention the probe maps, plus names that belong to someone else.
const Row kRows[] = {
    // mlx5: completion EQs carry rx+tx of channel N; async/pages EQs are control.
    {"mlx5_core", "ens1f0np0", "0000:3b:00.0", "", "mlx5_comp0@pci:0000:3b:00.0", true, 0, "txrx"},
    {"mlx5_core", "ens1f0np0", "0000:3b:00.0", "", "mlx5_comp31@pci:0000:3b:00.0", true, 31, "txrx"},
    {"mlx5_core", "ens1f0np0", "0000:3b:00.0", "", "mlx5_async0@pci:0000:3b:00.0", true, -1, "other"},
    {"mlx5_core", "ens1f0np0", "0000:3b:00.0", "", "mlx5_pages_eq@pci:0000:3b:00.0", true, -1, "other"},
    {"mlx5_core", "ens1f0np0", "0000:3b:00.0", "", "mlx5_comp3@pci:0000:3b:00.1", false, 0, ""},
    {"mlx5_core", "ens1f0np0", "0000:3b:00.0", "", "mlx5_comp7", true, 7, "txrx"},  // older kernels
    // Intel i40e / ice / iavf prefix the driver; ixgbe and igb do not.
    {"i40e", "ens1f0", "0000:18:00.0", "", "i40e-ens1f0-TxRx-0", true, 0, "txrx"},
    {"i40e", "ens1f0", "0000:18:00.0", "", "i40e-ens1f0-TxRx-23", true, 23, "txrx"},
    {"i40e", "ens1f0", "0000:18:00.0", "", "i40e-0000:18:00.0:misc", true, -1, "other"},
    {"i40e", "ens1f0", "0000:18:00.0", "", "i40e-0000:18:00.0:fdir-TxRx-0", true, -1, "other"},
    {"i40e", "ens1f0", "0000:18:00.0", "", "i40e-0000:18:00.1:misc", false, 0, ""},
    {"i40e", "ens1f0", "0000:18:00.0", "", "i40e-ens1f1-TxRx-0", false, 0, ""},
    {"ice", "ens2f0", "0000:5e:00.0", "", "ice-ens2f0-TxRx-4", true, 4, "txrx"},
    {"ice", "ens2f0", "0000:5e:00.0", "", "ice-0000:5e:00.0:misc", true, -1, "other"},
    {"ixgbe", "ens4f0", "0000:af:00.0", "", "ens4f0-TxRx-7", true, 7, "txrx"},
    {"ixgbe", "ens4f0", "0000:af:00.0", "", "ens4f0-rx-2", true, 2, "rx"},
    {"ixgbe", "ens4f0", "0000:af:00.0", "", "ens4f0-tx-5", true, 5, "tx"},
    {"ixgbe", "ens4f0", "0000:af:00.0", "", "ens4f0", true, -1, "other"},
    {"ixgbe", "ens4f0", "0000:af:00.0", "", "ens4f01-TxRx-0", false, 0, ""},
    // bnxt and ena.
    {"bnxt_en", "ens3f0np0", "0000:65:00.0", "", "ens3f0np0-TxRx-12", true, 12, "txrx"},
    {"ena", "ens5", "0000:00:05.0", "", "ens5-Tx-Rx-3", true, 3, "txrx"},
    {"ena", "ens5", "0000:00:05.0", "", "ena-mgmnt@pci:0000:00:05.0", true, -1, "other"},
    {"ena", "ens5", "0000:00:05.0", "", "ens6-Tx-Rx-3", false, 0, ""},
    // virtio: the device index names the NIC; input is rx, output is tx.
    {"virtio_net", "eth0", "0000:00:03.0", "virtio2", "virtio2-input.0", true, 0, "rx"},
    {"virtio_net", "eth0", "0000:00:03.0", "virtio2", "virtio2-output.3", true, 3, "tx"},
    {"virtio_net", "eth0", "0000:00:03.0", "virtio2", "virtio2-config", true, -1, "other"},
    {"virtio_net", "eth0", "0000:00:03.0", "virtio2", "virtio2-control", true, -1, "other"},
    {"virtio_net", "eth0", "0000:00:03.0", "virtio2", "virtio2-virtqueues", true, -1, "txrx"},
    {"virtio_net", "eth0", "0000:00:03.0", "virtio2", "virtio1-req.0", false, 0, ""},
    {"virtio_net", "eth0", "0000:00:03.0", "virtio2", "virtio3-input.0", false, 0, ""},
    {"virtio_net", "eth0", "0000:00:03.0", "virtio2", "ttyS0", false, 0, ""},
    // mana (Azure).
    {"mana", "eth1", "7870:00:00.0", "", "mana_q5@pci:7870:00:00.0", true, 5, "txrx"},
    {"mana", "eth1", "7870:00:00.0", "", "mana_hwc@pci:7870:00:00.0", true, -1, "other"},
    // Other drivers' generic names are not a NIC's.
    {"mlx5_core", "ens1f0np0", "0000:3b:00.0", "", "nvme0q1", false, 0, ""},
    {"i40e", "ens1f0", "0000:18:00.0", "", "mlx5_comp0", false, 0, ""},
    // Shared lines list several handlers.
    {"ixgbe", "ens4f0", "0000:af:00.0", "", "PCIe PME, ens4f0-TxRx-1", true, 1, "txrx"},
};

TEST(ClassifyNicIrq, EveryDriverNaming) {
  for (const auto& r : kRows) {
    SCOPED_TRACE(std::string(r.driver) + " " + r.name);
    auto q = classify_nic_irq(r.driver, r.ifname, r.pci, r.name, r.device);
    ASSERT_EQ(q.has_value(), r.ours);
    if (!r.ours) continue;
    EXPECT_EQ(q->kind, r.kind);
    if (r.queue < 0) {
      EXPECT_EQ(q->queue, std::nullopt);
    } else {
      EXPECT_EQ(q->queue, r.queue);
    }
  }
}

IrqInfo irq(int n, const std::string& name, const std::string& chip) {
  IrqInfo i;
  i.irq = n;
  i.name = name;
  i.chip = chip;
  return i;
}

const NicInfo* find_nic(const std::vector<NicInfo>& nics, const std::string& name) {
  for (const auto& n : nics)
    if (n.name == name) return &n;
  return nullptr;
}

const NicIrq* find_nic_irq(const NicInfo& nic, int n) {
  for (const auto& i : nic.irqs)
    if (i.irq == n) return &i;
  return nullptr;
}

// This VM's eth0: virtio2 under PCI function 0000:00:03.0, single queue, XPS not applicable.
void virtio_tree(const TempTree& t) {
  const std::string fn = "sys/devices/pci0000:00/0000:00:03.0";
  const std::string nd = fn + "/virtio2/net/eth0";
  t.symlink("../../devices/pci0000:00/0000:00:03.0/virtio2/net/eth0", "sys/class/net/eth0");
  t.symlink("../../devices/virtual/net/lo", "sys/class/net/lo");
  t.symlink("../../../virtio2", nd + "/device");
  t.symlink("../../../../bus/virtio/drivers/virtio_net", fn + "/virtio2/driver");
  t.write("sys/bus/virtio/drivers/virtio_net/uevent", "");
  t.write(fn + "/numa_node", "-1\n", 0444);
  t.write(fn + "/local_cpulist", "0-1\n", 0444);
  for (const char* v : {"37", "38", "39"}) t.write(fn + "/msi_irqs/" + v, "msix\n", 0444);
  t.write(nd + "/ifindex", "4\n", 0444);
  t.write(nd + "/mtu", "1400\n");
  t.write(nd + "/operstate", "up\n", 0444);
  t.write(nd + "/queues/rx-0/rps_cpus", "0\n");
  t.write(nd + "/queues/rx-0/rps_flow_cnt", "0\n");
  t.write(nd + "/queues/tx-0/tx_maxrate", "0\n");  // xps_cpus: ENOENT on a single-queue device
  t.write("sys/devices/virtual/net/lo/ifindex", "1\n", 0444);
  t.write("sys/devices/virtual/net/lo/mtu", "65536\n");
  t.write("sys/devices/virtual/net/lo/operstate", "unknown\n", 0444);
  t.write("sys/devices/virtual/net/lo/queues/rx-0/rps_cpus", "0\n");
}

Irqs vm_irqs() {
  Irqs irqs;
  irqs.irqs = {irq(36, "virtio1-req.0", "PCI-MSIX-0000:00:02.0"), irq(37, "virtio2-config", "PCI-MSIX-0000:00:03.0"),
               irq(38, "virtio2-input.0", "PCI-MSIX-0000:00:03.0"), irq(39, "virtio2-output.0", "PCI-MSIX-0000:00:03.0"),
               irq(41, "virtio3-rx", "PCI-MSIX-0000:00:04.0")};
  return irqs;
}

// The IRQ rows are asked for once, after every interface's own files were read (the snapshot's
// nic area runs while the irq area still reads them), and give the same NICs as passing them.
TEST(NicProbe, AsksForTheIrqRowsOnceAfterItsOwnFiles) {
  TempTree t;
  virtio_tree(t);
  const Irqs irqs = vm_irqs();
  const Host host(t.path());
  int asked = 0;
  ProbeErrors late_errors, errors;
  const auto late = probe_nics(host, [&]() -> const std::vector<IrqInfo>& {
    ++asked;
    t.write("sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0/mtu", "9000\n");  // too late for this probe
    return irqs.irqs;
  }, late_errors);
  EXPECT_EQ(asked, 1);
  const auto now = probe_nics(host, irqs.irqs, errors);
  ASSERT_EQ(late.size(), now.size());
  for (size_t i = 0; i < now.size(); ++i) {
    SCOPED_TRACE(now[i].name);
    EXPECT_EQ(late[i].irqs.size(), now[i].irqs.size());
    if (now[i].name != "eth0") {
      EXPECT_EQ(json(late[i]), json(now[i]));
    }
  }
  const NicInfo* eth0 = find_nic(late, "eth0");
  ASSERT_NE(eth0, nullptr);
  EXPECT_FALSE(eth0->irqs.empty());
  EXPECT_EQ(eth0->mtu, 1400);
  EXPECT_EQ(find_nic(now, "eth0")->mtu, 9000);
}

TEST(NicProbe, VirtioUnderPciFunction) {
  TempTree t;
  virtio_tree(t);
  Irqs irqs = vm_irqs();
  const std::vector<IrqInfo> before = irqs.irqs;
  ProbeErrors errors;
  auto nics = probe_nics(Host(t.path()), irqs.irqs, errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  const NicInfo* eth0 = find_nic(nics, "eth0");
  ASSERT_NE(eth0, nullptr);
  EXPECT_EQ(eth0->driver, "virtio_net");
  EXPECT_EQ(eth0->pci, "0000:00:03.0");
  EXPECT_EQ(eth0->numa_node, std::nullopt);
  EXPECT_EQ(eth0->local_cpus, "0-1");
  EXPECT_EQ(eth0->ifindex, 4);
  EXPECT_EQ(eth0->mtu, 1400);
  EXPECT_EQ(eth0->operstate, "up");
  EXPECT_FALSE(eth0->is_virtual);
  EXPECT_EQ(eth0->rx_queues, 1);
  EXPECT_EQ(eth0->tx_queues, 1);
  ASSERT_EQ(eth0->rps.size(), 1u);
  EXPECT_EQ(eth0->rps[0].cpus, "");
  EXPECT_EQ(eth0->rps[0].flow_cnt, 0);
  ASSERT_EQ(eth0->xps.size(), 1u);
  EXPECT_EQ(eth0->xps[0].cpus, std::nullopt);
  ASSERT_TRUE(eth0->xps[0].unavailable);
  EXPECT_NE(eth0->xps[0].unavailable->find("not applicable"), std::string::npos);
  // Captured trees have no netlink.
  EXPECT_EQ(eth0->channels, std::nullopt);
  EXPECT_EQ(eth0->channels_unavailable, "live host only");
  EXPECT_EQ(eth0->coalesce_unavailable, "live host only");
  EXPECT_EQ(eth0->irq_map_source, "irq-names");

  ASSERT_EQ(eth0->irqs.size(), 3u);
  EXPECT_EQ(find_nic_irq(*eth0, 37)->kind, "other");
  EXPECT_EQ(find_nic_irq(*eth0, 38)->kind, "rx");
  EXPECT_EQ(find_nic_irq(*eth0, 38)->queue, 0);
  EXPECT_EQ(find_nic_irq(*eth0, 39)->kind, "tx");
  // The probe only reads the IRQ rows; the snapshot's annotate step writes the queues into them,
  // leaving other devices' IRQs untouched.
  EXPECT_EQ(json(irqs.irqs), json(before));
  annotate_irq_queues(irqs.irqs, nics);
  EXPECT_EQ(irqs.irqs[2].nic, "eth0");
  EXPECT_EQ(irqs.irqs[2].queue, 0);
  EXPECT_EQ(irqs.irqs[2].kind, "rx");
  EXPECT_EQ(irqs.irqs[0].nic, std::nullopt);
  EXPECT_EQ(irqs.irqs[4].nic, std::nullopt);

  const NicInfo* lo = find_nic(nics, "lo");
  ASSERT_NE(lo, nullptr);
  EXPECT_TRUE(lo->is_virtual);
  EXPECT_EQ(lo->driver, std::nullopt);
  EXPECT_EQ(lo->pci, std::nullopt);
  EXPECT_TRUE(lo->irqs.empty());
}

// Without msi_irqs/ a generic-named vector is tied to the function through its chip name.
TEST(NicProbe, GenericNamesNeedTheFunctionsVectors) {
  TempTree t;
  const std::string fn0 = "sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0";
  t.symlink("../../devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/net/ens1f0np0", "sys/class/net/ens1f0np0");
  t.symlink("../../../0000:3b:00.0", fn0 + "/net/ens1f0np0/device");
  t.symlink("../../../../bus/pci/drivers/mlx5_core", fn0 + "/driver");
  t.write("sys/bus/pci/drivers/mlx5_core/uevent", "");
  t.write(fn0 + "/numa_node", "1\n", 0444);
  t.write(fn0 + "/net/ens1f0np0/ifindex", "2\n", 0444);
  Irqs irqs;
  irqs.irqs = {irq(90, "mlx5_comp0", "IR-PCI-MSIX-0000:3b:00.0"), irq(91, "mlx5_comp0", "IR-PCI-MSIX-0000:3b:00.1"),
               irq(92, "mlx5_async0", "IR-PCI-MSIX-0000:3b:00.0"), irq(93, "nvme0q1", "IR-PCI-MSIX-0000:5e:00.0")};
  ProbeErrors errors;
  auto nics = probe_nics(Host(t.path()), irqs.irqs, errors);
  const NicInfo* nic = find_nic(nics, "ens1f0np0");
  ASSERT_NE(nic, nullptr);
  EXPECT_EQ(nic->numa_node, 1);
  ASSERT_EQ(nic->irqs.size(), 2u);
  EXPECT_EQ(find_nic_irq(*nic, 90)->kind, "txrx");
  EXPECT_EQ(find_nic_irq(*nic, 92)->kind, "other");
  EXPECT_EQ(find_nic_irq(*nic, 91), nullptr);
}

TEST(NicProbe, GarbageFilesBecomePerFieldErrors) {
  TempTree t;
  virtio_tree(t);
  const std::string nd = "sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0";
  t.write(nd + "/queues/rx-0/rps_cpus", "zz,1\n");
  t.write(nd + "/mtu", "big\n");
  t.write("sys/devices/pci0000:00/0000:00:03.0/local_cpulist", "0-\n");
  Irqs irqs = vm_irqs();
  ProbeErrors errors;
  auto nics = probe_nics(Host(t.path()), irqs.irqs, errors);
  const NicInfo* eth0 = find_nic(nics, "eth0");
  ASSERT_NE(eth0, nullptr);
  EXPECT_EQ(eth0->mtu, std::nullopt);
  EXPECT_EQ(eth0->local_cpus, std::nullopt);
  EXPECT_EQ(eth0->rps[0].cpus, std::nullopt);
  EXPECT_TRUE(eth0->rps[0].unavailable);
  EXPECT_EQ(eth0->driver, "virtio_net");  // the rest survives
  auto has = [&](const std::string& s) {
    return std::any_of(errors.begin(), errors.end(), [&](const std::string& e) { return e.rfind(s, 0) == 0; });
  };
  EXPECT_TRUE(has("/sys/class/net/eth0/queues/rx-0/rps_cpus: "));
  EXPECT_TRUE(has("/sys/class/net/eth0/mtu: not an integer: 'big'"));
  EXPECT_TRUE(has("/sys/devices/pci0000:00/0000:00:03.0/local_cpulist: "));
}

// The netdev-netlink mapping: a NAPI serving rx and tx queue N is txrx N; separate NAPIs are rx/tx.
TEST(NetdevQueueIrqs, QueuesToIrqsThroughNapis) {
  NetdevTopology t;
  t.queues = {{4, 0, "rx", 100}, {4, 0, "tx", 100}, {4, 1, "rx", 101}, {4, 1, "tx", 102},
              {4, 2, "rx", 103}, {4, 2, "tx", std::nullopt}, {5, 0, "rx", 200}};
  t.napis = {{100, {4, 100, 60}}, {101, {4, 101, 61}}, {102, {4, 102, 62}},
             {103, {4, 103, std::nullopt}}, {200, {5, 200, 70}}};
  auto m = netdev_queue_irqs(t, 4);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.at(60).kind, "txrx");
  EXPECT_EQ(m.at(60).queue, 0);
  EXPECT_EQ(m.at(61).kind, "rx");
  EXPECT_EQ(m.at(61).queue, 1);
  EXPECT_EQ(m.at(62).kind, "tx");
  EXPECT_EQ(m.at(62).queue, 1);
  EXPECT_EQ(m.count(70), 0u);                  // another interface's
  EXPECT_TRUE(netdev_queue_irqs(t, 9).empty());  // no NAPI IRQs reported: names decide
}

// --- captured fixture hosts ---------------------------------------------------------------------

struct Probed {
  Irqs irqs;
  std::vector<NicInfo> nics;
  ProbeErrors errors;
};

std::optional<Probed> probe_fixture(const std::string& name) {
  const std::string root = test::fixture_host(name);
  if (!Host(root).is_dir("/sys/class/net")) return std::nullopt;
  Probed p;
  p.irqs = probe_irqs(Host(root), p.errors);
  p.nics = probe_nics(Host(root), p.irqs.irqs, p.errors);
  annotate_irq_queues(p.irqs.irqs, p.nics);
  return p;
}

TEST(NicFixtures, Mlx5TwoSocketMetal) {
  auto p = probe_fixture("metal-2s-mlx5-k8s");
  ASSERT_TRUE(p) << "fixture tree metal-2s-mlx5-k8s missing";
  EXPECT_TRUE(p->errors.empty()) << p->errors.front();
  const NicInfo* nic = find_nic(p->nics, "ens1f0np0");
  ASSERT_NE(nic, nullptr);
  EXPECT_EQ(nic->driver, "mlx5_core");
  EXPECT_EQ(nic->pci, "0000:3b:00.0");
  EXPECT_EQ(nic->numa_node, 0);
  EXPECT_EQ(nic->local_cpus, "0-15,32-47");
  EXPECT_EQ(nic->rx_queues, 32);
  EXPECT_EQ(nic->tx_queues, 32);
  EXPECT_EQ(nic->xps.at(3).cpus, "3");
  EXPECT_EQ(nic->channels_unavailable, "live host only");
  ASSERT_EQ(nic->irqs.size(), 33u);  // async0 + comp0..31
  int comps = 0;
  for (const auto& i : p->irqs.irqs) {
    if (i.name.rfind("mlx5_comp", 0) == 0) {
      ++comps;
      const int n = std::stoi(i.name.substr(9));
      EXPECT_EQ(i.nic, "ens1f0np0") << i.name;
      EXPECT_EQ(i.queue, n) << i.name;
      EXPECT_EQ(i.kind, "txrx") << i.name;
    } else if (i.name.rfind("mlx5_async", 0) == 0) {
      EXPECT_EQ(i.kind, "other");
      EXPECT_EQ(i.queue, std::nullopt);
    } else {
      EXPECT_EQ(i.nic, std::nullopt) << i.name;  // nvme, ahci, timers...
    }
  }
  EXPECT_EQ(comps, 32);
}

TEST(NicFixtures, IntelI40eAndIxgbe) {
  auto p = probe_fixture("intel-i40e-cgv1");
  ASSERT_TRUE(p) << "fixture tree intel-i40e-cgv1 missing";
  EXPECT_TRUE(p->errors.empty()) << p->errors.front();
  const NicInfo* i40e = find_nic(p->nics, "ens1f0");
  const NicInfo* ixgbe = find_nic(p->nics, "ens4f0");
  ASSERT_NE(i40e, nullptr);
  ASSERT_NE(ixgbe, nullptr);
  EXPECT_EQ(i40e->driver, "i40e");
  EXPECT_EQ(i40e->numa_node, 0);
  EXPECT_EQ(ixgbe->driver, "ixgbe");
  EXPECT_EQ(ixgbe->numa_node, 1);
  EXPECT_EQ(ixgbe->local_cpus, "12-23,36-47");
  ASSERT_EQ(i40e->irqs.size(), 26u);  // misc + TxRx-0..23 + fdir
  EXPECT_EQ(find_nic_irq(*i40e, 118)->kind, "other");
  EXPECT_EQ(find_nic_irq(*i40e, 119)->queue, 0);
  EXPECT_EQ(find_nic_irq(*i40e, 142)->queue, 23);
  EXPECT_EQ(find_nic_irq(*i40e, 143)->kind, "other");
  ASSERT_EQ(ixgbe->irqs.size(), 9u);
  EXPECT_EQ(find_nic_irq(*ixgbe, 151)->queue, 7);
  EXPECT_EQ(find_nic_irq(*ixgbe, 151)->kind, "txrx");
  EXPECT_EQ(find_nic_irq(*ixgbe, 152)->kind, "other");
}

TEST(NicFixtures, CloudEna) {
  auto p = probe_fixture("cloud-ena");
  ASSERT_TRUE(p) << "fixture tree cloud-ena missing";
  EXPECT_TRUE(p->errors.empty()) << p->errors.front();
  const NicInfo* nic = find_nic(p->nics, "ens5");
  ASSERT_NE(nic, nullptr);
  EXPECT_EQ(nic->driver, "ena");
  EXPECT_EQ(nic->pci, "0000:00:05.0");
  EXPECT_EQ(nic->numa_node, std::nullopt);  // -1 on a single-node VM
  ASSERT_EQ(nic->irqs.size(), 9u);
  EXPECT_EQ(find_nic_irq(*nic, 24)->kind, "other");
  for (int q = 0; q < 8; ++q) {
    EXPECT_EQ(find_nic_irq(*nic, 25 + q)->queue, q);
    EXPECT_EQ(find_nic_irq(*nic, 25 + q)->kind, "txrx");
  }
}

TEST(NicFixtures, ThisVm) {
  auto p = probe_fixture("vm");
  ASSERT_TRUE(p) << "fixture tree vm missing";
  const NicInfo* eth0 = find_nic(p->nics, "eth0");
  ASSERT_NE(eth0, nullptr);
  EXPECT_EQ(eth0->pci, "0000:00:03.0");
  EXPECT_EQ(eth0->driver, "virtio_net");
  ASSERT_EQ(eth0->irqs.size(), 3u);
  EXPECT_EQ(find_nic_irq(*eth0, 38)->kind, "rx");
  EXPECT_EQ(find_nic_irq(*eth0, 39)->kind, "tx");
  EXPECT_EQ(find_nic_irq(*eth0, 37)->kind, "other");
  EXPECT_TRUE(eth0->xps.at(0).unavailable);
}

}  // namespace
}  // namespace tunectl
