#include "probes/netlink/netdev_netlink.h"

#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include <algorithm>
#include <exception>

#include "probes/netlink/genl_socket.h"

namespace tunectl {
namespace {

// uapi/linux/netdev.h (not in older installed headers, so spelled out; values are ABI).
constexpr uint8_t kCmdQueueGet = 10;
constexpr uint8_t kCmdNapiGet = 11;
constexpr int kQueueId = 1, kQueueIfindex = 2, kQueueType = 3, kQueueNapiId = 4;
constexpr int kNapiIfindex = 1, kNapiId = 2, kNapiIrq = 3;
constexpr uint32_t kQueueTypeRx = 0, kQueueTypeTx = 1;

// Attribute id -> u32 value for one reply.
std::map<int, uint32_t> u32_attrs(const nlmsghdr* hdr) {
  std::map<int, uint32_t> out;
  auto* gh = static_cast<genlmsghdr*>(nlmsg_data(hdr));
  nlattr* a;
  int rem;
  nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
    if (nla_len(a) >= 4) out[nla_type(a)] = nla_get_u32(a);
  }
  return out;
}

}  // namespace

std::optional<NetdevTopology> read_netdev_topology(std::string& why) {
  try {
    GenlSocket sock("netdev");
    NetdevTopology topo;
    GenlStatus st = sock.dump(kCmdQueueGet, nullptr, [&](const nlmsghdr* hdr) {
      auto a = u32_attrs(hdr);
      if (!a.count(kQueueId) || !a.count(kQueueIfindex) || !a.count(kQueueType)) return;
      if (a[kQueueType] != kQueueTypeRx && a[kQueueType] != kQueueTypeTx) return;
      NetdevQueue q;
      q.ifindex = static_cast<int>(a[kQueueIfindex]);
      q.id = static_cast<int>(a[kQueueId]);
      q.type = a[kQueueType] == kQueueTypeRx ? "rx" : "tx";
      if (a.count(kQueueNapiId)) q.napi_id = static_cast<int>(a[kQueueNapiId]);
      topo.queues.push_back(q);
    });
    if (!st.ok()) {
      why = "netdev netlink queue-get: " + st.message;
      return std::nullopt;
    }
    st = sock.dump(kCmdNapiGet, nullptr, [&](const nlmsghdr* hdr) {
      auto a = u32_attrs(hdr);
      if (!a.count(kNapiId)) return;
      NetdevNapi n;
      n.id = static_cast<int>(a[kNapiId]);
      if (a.count(kNapiIfindex)) n.ifindex = static_cast<int>(a[kNapiIfindex]);
      // The kernel sends irq as s32 and omits it (or sends -1 on some versions) when unknown.
      if (a.count(kNapiIrq) && static_cast<int32_t>(a[kNapiIrq]) >= 0) n.irq = static_cast<int>(a[kNapiIrq]);
      topo.napis[n.id] = n;
    });
    if (!st.ok()) {
      why = "netdev netlink napi-get: " + st.message;
      return std::nullopt;
    }
    return topo;
  } catch (const std::exception& e) {
    why = e.what();
    return std::nullopt;
  }
}

std::map<int, NetdevIrqQueue> netdev_queue_irqs(const NetdevTopology& topo, int ifindex) {
  struct Uses {
    int rx = -1, tx = -1;  // lowest queue index of each type on this IRQ
  };
  std::map<int, Uses> uses;
  for (const auto& q : topo.queues) {
    if (q.ifindex != ifindex || !q.napi_id) continue;
    auto it = topo.napis.find(*q.napi_id);
    if (it == topo.napis.end() || !it->second.irq) continue;
    int& slot = q.type == "rx" ? uses[*it->second.irq].rx : uses[*it->second.irq].tx;
    if (slot < 0 || q.id < slot) slot = q.id;
  }
  std::map<int, NetdevIrqQueue> out;
  for (const auto& [irq, u] : uses) {
    if (u.rx >= 0 && u.tx >= 0)
      out[irq] = {std::min(u.rx, u.tx), "txrx"};
    else if (u.rx >= 0)
      out[irq] = {u.rx, "rx"};
    else
      out[irq] = {u.tx, "tx"};
  }
  return out;
}

}  // namespace tunectl
