// Network interfaces: driver, PCI/NUMA placement, queues, RPS/XPS, IRQ-to-queue mapping, and on
// the live host ethtool channels/rings/coalescing over generic netlink.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "probes/netlink/ethtool_netlink.h"
#include "core/host.h"
#include "probes/irq.h"
#include "core/json.h"

namespace tunectl {

struct QueueCpus {
  int queue = 0;
  std::optional<std::string> cpus;      // cpulist; null when not applicable
  std::optional<int64_t> flow_cnt;      // rps_flow_cnt (rx only)
  std::optional<std::string> unavailable;
};

struct NicIrq {
  int irq = 0;
  std::optional<int> queue;
  std::string kind;  // rx, tx, txrx, other
};

struct NicInfo {
  std::string name;
  std::optional<int> ifindex;
  std::optional<std::string> driver, pci;
  std::optional<int> numa_node;
  std::optional<std::string> local_cpus;  // cpulist
  std::optional<int> mtu;
  std::optional<std::string> operstate;
  bool is_virtual = false;  // no device link (lo, bridges, ifb, veth)
  int rx_queues = 0, tx_queues = 0;
  std::optional<EthtoolValues> channels, rings, coalesce;
  std::optional<std::string> channels_unavailable, rings_unavailable, coalesce_unavailable;
  std::vector<QueueCpus> rps, xps;
  std::vector<NicIrq> irqs;
  // How irqs[] was mapped to queues: "netdev-netlink" (the kernel's queue/NAPI/IRQ links, live
  // host) or "irq-names" (driver naming conventions plus the PCI function's MSI vectors).
  std::string irq_map_source = "irq-names";
};

// Classifies an IRQ action name for a NIC: queue index and kind, or nullopt if not this NIC's.
// Names that carry an identity (interface, PCI address, virtio device) must carry this NIC's;
// generic ones (mlx5_compN, mana_qN, virtioN-... without `device`) are judged by the driver only, so
// the caller ties them to the NIC through its PCI function. `device` is the netdev's parent device
// name ("virtio2" for virtio_net), empty when unknown.
struct IrqQueue {
  std::optional<int> queue;
  std::string kind;
};
std::optional<IrqQueue> classify_nic_irq(const std::string& driver, const std::string& ifname,
                                         const std::string& pci, const std::string& irq_name,
                                         const std::string& device = "");

// Reads every interface, each with its queue -> IRQ map (NicInfo::irqs) taken from `irqs`, the irq
// probe's rows, which it only reads.
std::vector<NicInfo> probe_nics(const Host& host, const std::vector<IrqInfo>& irqs, ProbeErrors& errors);
// The same, asking for the IRQ rows only once the interfaces' own files and netlink are read (the
// snapshot's nic area reads them while the irq area still runs).
using IrqRows = std::function<const std::vector<IrqInfo>&()>;
std::vector<NicInfo> probe_nics(const Host& host, const IrqRows& irqs, ProbeErrors& errors);

// The snapshot's cross-area step: sets nic/queue/kind on every IRQ row a NIC's map lists (a row
// two NICs claim keeps the later NIC's).
void annotate_irq_queues(std::vector<IrqInfo>& irqs, const std::vector<NicInfo>& nics);

// JSON both ways; a missing key keeps the default (older snapshots still load).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(QueueCpus, queue, cpus, flow_cnt, unavailable)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NicIrq, irq, queue, kind)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NicInfo, name, ifindex, driver, pci, numa_node, local_cpus, mtu, operstate, is_virtual, rx_queues, tx_queues, channels, channels_unavailable, rings, rings_unavailable, coalesce, coalesce_unavailable, rps, xps, irqs, irq_map_source)

}  // namespace tunectl
