#include "probes/nic.h"

#include <cctype>
#include <climits>
#include <cstdlib>
#include <set>

#include "core/errors.h"
#include "core/parallel_chunks.h"
#include "core/parse.h"
#include "core/read_field.h"
#include "probes/netlink/netdev_netlink.h"

namespace tunectl {
namespace {

std::string basename_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The kernel path a sysfs symlink points to ("/sys/devices/pci0000:00/0000:00:03.0/virtio2").
std::optional<std::string> kernel_path(const Host& host, const std::string& path) {
  if (!host.exists(path)) return std::nullopt;
  if (host.is_live()) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) return std::nullopt;
    return std::string(buf);
  }
  std::string real = host.resolve(path);  // symlinks already followed inside the tree
  return real.substr(host.root().size());
}

bool is_pci_address(const std::string& s) {
  // dddd:bb:dd.f with hex digits; the domain may be wider than 4 digits (VMD, Hyper-V).
  const size_t c1 = s.find(':');
  if (c1 == std::string::npos || c1 < 4 || s.size() != c1 + 8) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const size_t off = i - c1;
    if (i == c1 || off == 3) {
      if (c != ':') return false;
    } else if (off == 6) {
      if (c != '.') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// Nearest PCI function at or above `dev` (a virtio NIC's device is virtioN under its function).
std::optional<std::string> pci_function_dir(const std::string& dev) {
  std::string p = dev;
  while (!p.empty() && p != "/sys/devices") {
    if (is_pci_address(basename_of(p))) return p;
    const size_t slash = p.find_last_of('/');
    if (slash == std::string::npos || slash == 0) break;
    p.resize(slash);
  }
  return std::nullopt;
}

// An RPS/XPS mask file as a QueueCpus entry. The kernel answers ENOENT for XPS on single-queue
// devices: not applicable, not an error; any other failure is both the queue's reason and an error.
QueueCpus read_queue_mask(const HostDir& dir, int queue, const std::string& name, ProbeErrors& errors) {
  QueueCpus q;
  q.queue = queue;
  const size_t known_errors = errors.size();
  if (auto cpus = read_hex_mask_field(dir, name, errors, Presence::kOptional))
    q.cpus = format_cpulist(*cpus);
  else
    q.unavailable = errors.size() > known_errors ? errors.back()
                                                 : "not applicable (single-queue device or no RPS/XPS support)";
  return q;
}

// The queues directory is opened once (the interface's path is a link resolved each time otherwise).
void read_queues(const Host& host, const std::string& base, NicInfo& nic, ProbeErrors& errors) {
  const HostDir queues = host.open_dir(base + "/queues");
  for (const auto& entry : host.list(base + "/queues")) {
    const bool rx = entry.rfind("rx-", 0) == 0, tx = entry.rfind("tx-", 0) == 0;
    if (!rx && !tx) continue;
    auto idx = parse_int(entry.substr(3));
    if (!idx || *idx < 0) continue;
    const HostDir dir = queues.dir(entry);
    if (rx) {
      ++nic.rx_queues;
      QueueCpus q = read_queue_mask(dir, static_cast<int>(*idx), "rps_cpus", errors);
      q.flow_cnt = read_int_field(dir, "rps_flow_cnt", errors, Presence::kOptional);
      nic.rps.push_back(std::move(q));
    } else {
      ++nic.tx_queues;
      nic.xps.push_back(read_queue_mask(dir, static_cast<int>(*idx), "xps_cpus", errors));
    }
  }
}

// Placement and identity from sysfs: driver, PCI function, NUMA node, local CPUs.
struct Parent {
  std::string device;   // the netdev's parent device name (virtioN for virtio_net)
  std::string pci_dir;  // the PCI function's sysfs dir, empty when not on PCI
};
Parent read_device(const Host& host, const std::string& base, NicInfo& nic, ProbeErrors& errors) {
  auto dev = kernel_path(host, base + "/device");
  if (!host.readlink(base + "/device") || !dev) {
    nic.is_virtual = true;
    return {};
  }
  if (auto drv = host.readlink(base + "/device/driver")) nic.driver = basename_of(*drv);
  auto pci_dir = pci_function_dir(*dev);
  const std::string place = pci_dir ? *pci_dir : *dev;
  if (pci_dir) nic.pci = basename_of(*pci_dir);
  if (auto node = read_int_field(host, place + "/numa_node", errors, Presence::kOptional); node && *node >= 0)
    nic.numa_node = static_cast<int>(*node);
  if (auto cpus = read_cpulist_field(host, place + "/local_cpulist", errors, Presence::kOptional))
    nic.local_cpus = format_cpulist(*cpus);
  return {basename_of(*dev), pci_dir.value_or("")};
}

// The IRQ vectors the PCI function owns: msi_irqs/ entries, plus chips named after it
// ("PCI-MSIX-0000:3b:00.0", "IR-PCI-MSI-0000:3b:00.0") when the tree lacks msi_irqs/.
bool owned_by(const std::set<int>& msi, const std::optional<std::string>& pci, const IrqInfo& irq) {
  if (msi.count(irq.irq)) return true;
  if (!pci) return false;
  const std::string& c = irq.chip;
  return c.size() > pci->size() && c.compare(c.size() - pci->size(), pci->size(), *pci) == 0 &&
         c[c.size() - pci->size() - 1] == '-';
}

// Fills nic.irqs: the IRQs that serve this NIC, with their queue and kind.
void map_irqs(const Host& host, const Parent& parent, NicInfo& nic, const std::vector<IrqInfo>& irqs,
              const std::map<int, NetdevIrqQueue>& authority) {
  std::set<int> msi;
  if (!parent.pci_dir.empty())
    for (const auto& e : host.list(parent.pci_dir + "/msi_irqs"))
      if (auto n = parse_int(e)) msi.insert(static_cast<int>(*n));
  if (!authority.empty()) nic.irq_map_source = "netdev-netlink";
  const std::string driver = nic.driver.value_or("");
  const std::string pci = nic.pci.value_or("");
  for (const auto& irq : irqs) {
    std::optional<IrqQueue> q;
    if (auto it = authority.find(irq.irq); it != authority.end()) {
      q = IrqQueue{it->second.queue, it->second.kind};
    } else {
      const bool owned = owned_by(msi, nic.pci, irq);
      q = classify_nic_irq(driver, nic.name, pci, irq.name, parent.device);
      // Generic names (mlx5_compN, virtioN-...) need the vector to belong to this function;
      // names with this interface or PCI address in them identify themselves.
      const bool named = irq.name.find(nic.name) != std::string::npos ||
                         (!pci.empty() && irq.name.find(pci) != std::string::npos);
      if (q && !owned && !named) q.reset();
      if (!q && owned) q = IrqQueue{std::nullopt, "other"};
    }
    if (!q) continue;
    nic.irqs.push_back({irq.irq, q->queue, q->kind});
  }
}

// Channels, rings, coalescing over ethtool netlink; "not supported by <driver>" when the driver
// lacks the operation.
void read_ethtool(EthtoolClient& client, NicInfo& nic) {
  const std::string who = nic.driver.value_or(nic.is_virtual ? "this virtual device" : "the driver");
  auto one = [&](EthtoolGroup g, std::optional<EthtoolValues>& values, std::optional<std::string>& why) {
    EthtoolResult r = client.get(g, nic.name);
    if (r.ok())
      values = std::move(r.values);
    else
      why = r.unsupported() ? "not supported by " + who : r.error;
  };
  one(EthtoolGroup::channels, nic.channels, nic.channels_unavailable);
  one(EthtoolGroup::rings, nic.rings, nic.rings_unavailable);
  one(EthtoolGroup::coalesce, nic.coalesce, nic.coalesce_unavailable);
}

// Below this many interfaces per thread a thread costs more than it saves.
constexpr size_t kNicsPerChunk = 4;

// One interface's sysfs side, and what mapping its IRQs needs later.
struct NicFiles {
  NicInfo nic;
  Parent parent;
  std::map<int, NetdevIrqQueue> authority;  // netdev netlink's queue -> IRQ, when the kernel has it
};

// Identity, placement and queues from sysfs.
NicFiles read_nic(const Host& host, const std::string& name, const std::optional<NetdevTopology>& topo,
                  ProbeErrors& errors) {
  const std::string base = "/sys/class/net/" + name;
  NicFiles f;
  NicInfo& nic = f.nic;
  nic.name = name;
  if (auto v = read_int_field(host, base + "/ifindex", errors, Presence::kOptional)) nic.ifindex = static_cast<int>(*v);
  if (auto v = read_int_field(host, base + "/mtu", errors, Presence::kOptional)) nic.mtu = static_cast<int>(*v);
  nic.operstate = host.read_trimmed(base + "/operstate");
  f.parent = read_device(host, base, nic, errors);
  read_queues(host, base, nic, errors);
  if (topo && nic.ifindex) f.authority = netdev_queue_irqs(*topo, *nic.ifindex);
  return f;
}

}  // namespace

std::vector<NicInfo> probe_nics(const Host& host, const std::vector<IrqInfo>& irqs, ProbeErrors& errors) {
  return probe_nics(host, [&]() -> const std::vector<IrqInfo>& { return irqs; }, errors);
}

std::vector<NicInfo> probe_nics(const Host& host, const IrqRows& irqs, ProbeErrors& errors) {
  std::optional<EthtoolClient> ethtool;
  std::string ethtool_why = "live host only";
  std::optional<NetdevTopology> topo;
  if (host.is_live()) {
    try {
      ethtool.emplace();
    } catch (const std::exception& e) {
      ethtool_why = e.what();
    }
    std::string why;
    topo = read_netdev_topology(why);  // absent on older kernels: names decide
  }

  // Each interface's sysfs side, in parallel chunks of interfaces when there are many (16 NICs x
  // 128 queues on a large host), joined in order; the netlink side after, on one socket; the IRQ
  // rows last, as late as possible (the irq area may still be reading them).
  std::vector<std::string> names;
  for (const auto& name : host.list("/sys/class/net"))
    if (host.is_dir("/sys/class/net/" + name)) names.push_back(name);  // not bonding_masters
  std::vector<NicFiles> found(names.size());
  run_in_ordered_chunks(names.size(), kNicsPerChunk, errors, [&](size_t begin, size_t end, ProbeErrors& e) {
    for (size_t i = begin; i < end; ++i) found[i] = read_nic(host, names[i], topo, e);
  });

  for (NicFiles& f : found) {
    if (ethtool) {
      read_ethtool(*ethtool, f.nic);
    } else {
      f.nic.channels_unavailable = f.nic.rings_unavailable = f.nic.coalesce_unavailable = ethtool_why;
    }
  }

  const std::vector<IrqInfo>& rows = irqs();
  run_in_ordered_chunks(found.size(), kNicsPerChunk, errors, [&](size_t begin, size_t end, ProbeErrors&) {
    for (size_t i = begin; i < end; ++i)
      if (!found[i].nic.is_virtual) map_irqs(host, found[i].parent, found[i].nic, rows, found[i].authority);
  });
  std::vector<NicInfo> out;
  out.reserve(found.size());
  for (NicFiles& f : found) out.push_back(std::move(f.nic));
  return out;
}

void annotate_irq_queues(std::vector<IrqInfo>& irqs, const std::vector<NicInfo>& nics) {
  std::map<int, IrqInfo*> by_number;
  for (auto& irq : irqs) by_number[irq.irq] = &irq;
  for (const auto& nic : nics) {
    for (const auto& ni : nic.irqs) {
      auto it = by_number.find(ni.irq);
      if (it == by_number.end()) continue;
      it->second->nic = nic.name;
      it->second->queue = ni.queue;
      it->second->kind = ni.kind;
    }
  }
}

}  // namespace tunectl
