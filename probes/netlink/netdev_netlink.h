// The netdev generic-netlink family (kernel 6.8+ for queues and NAPI instances): which NAPI serves
// each rx/tx queue and which IRQ each NAPI runs on. Where a driver reports these, it is the
// authority on queue -> IRQ mapping; IRQ names are only a convention. Live host only.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tunectl {

struct NetdevQueue {
  int ifindex = 0;
  int id = 0;
  std::string type;              // "rx" or "tx"
  std::optional<int> napi_id;    // absent when the driver does not link queues to NAPIs
};

struct NetdevNapi {
  int ifindex = 0;
  int id = 0;
  std::optional<int> irq;        // absent when the driver does not report it
};

struct NetdevTopology {
  std::vector<NetdevQueue> queues;
  std::map<int, NetdevNapi> napis;  // by NAPI id
};

// Dumps queue-get and napi-get for every interface. nullopt with `why` set when the family or
// either operation is unavailable (older kernels) or netlink fails.
std::optional<NetdevTopology> read_netdev_topology(std::string& why);

// One interface's IRQs from the topology: irq -> (queue, kind). An IRQ whose NAPI serves rx and tx
// queues of the same index is "txrx"; only rx "rx"; only tx "tx". Empty when the driver reports no
// NAPI IRQs for it.
struct NetdevIrqQueue {
  int queue = 0;
  std::string kind;
};
std::map<int, NetdevIrqQueue> netdev_queue_irqs(const NetdevTopology& topo, int ifindex);

}  // namespace tunectl
