#include "tuner/knobs/irq_policy.h"

#include <fnmatch.h>

#include <algorithm>
#include <climits>
#include <map>

#include "core/parse.h"
#include "tuner/knobs/cpu_pool.h"

namespace tunectl {
namespace {

bool matches_any(const std::string& name, const json& globs) {
  for (const auto& g : globs)
    if (fnmatch(g.get<std::string>().c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

// Physical NICs the policy selects, by name (natural order).
std::vector<const NicInfo*> selected_nics(const json& globs, const std::vector<NicInfo>& nics) {
  std::vector<const NicInfo*> out;
  for (const auto& n : nics)
    if (!n.is_virtual && matches_any(n.name, globs)) out.push_back(&n);
  std::sort(out.begin(), out.end(), [](const NicInfo* a, const NicInfo* b) { return natural_less(a->name, b->name); });
  return out;
}

// A NIC's queue IRQs ordered by queue then IRQ number; control IRQs ("other") are not placed.
std::vector<NicIrq> queue_irqs(const NicInfo& nic) {
  std::vector<NicIrq> out;
  for (const auto& i : nic.irqs)
    if (i.kind != "other") out.push_back(i);
  std::sort(out.begin(), out.end(), [](const NicIrq& a, const NicIrq& b) {
    int qa = a.queue.value_or(INT_MAX), qb = b.queue.value_or(INT_MAX);
    return qa != qb ? qa < qb : a.irq < b.irq;
  });
  return out;
}

class Placer {
 public:
  explicit Placer(const Snapshot& snap) {
    if (snap.irqs)
      for (const auto& i : *snap.irqs) irqs_[i.irq] = &i;
  }

  // Adds an assignment, or a skipped one when the kernel manages the IRQ.
  void assign(IrqPlacement& out, int irq, const std::string& nic, std::optional<int> queue,
              const std::string& kind, const CpuSet& cpus, std::string skip = {}) const {
    IrqAssignment a{irq, nic, queue, kind, skip.empty() ? format_cpulist(cpus) : "", skip};
    auto it = irqs_.find(irq);
    if (it != irqs_.end() && it->second->managed) {
      a.cpus.clear();
      a.skip_reason = "managed IRQ: the kernel sets its affinity" +
                      (it->second->managed_reason ? " (" + *it->second->managed_reason + ")" : std::string());
    }
    out.assignments.push_back(a);
  }

  bool has_irq(int irq) const { return irqs_.count(irq) > 0; }

 private:
  std::map<int, const IrqInfo*> irqs_;
};

CpuSet policy_pool(const json& policy, const Topology& topo) {
  CpuSet pool = cpu_pool(policy["cpus"].get<std::string>(), policy["exclude_isolated"].get<bool>(), topo);
  if (policy["avoid_smt_siblings"].get<bool>()) pool = first_thread_per_core(pool, topo);
  return pool;
}

// The CPUs a NIC's IRQs may use under numa-local: the pool on the NIC's node; with the node
// unknown (VMs, single-node hosts report -1), the NIC's local_cpus, else the whole pool.
CpuSet nic_pool(const NicInfo& nic, const CpuSet& pool, const Topology& topo, std::string& why_empty) {
  if (nic.numa_node && *nic.numa_node >= 0) {
    CpuSet out = intersect(pool, topo.node_cpus(*nic.numa_node));
    if (out.empty()) why_empty = "no allowed CPU on NUMA node " + std::to_string(*nic.numa_node) + " (the NIC's node)";
    return out;
  }
  if (nic.local_cpus) {
    auto local = parse_cpulist(*nic.local_cpus);
    if (local.ok() && !intersect(pool, *local.value).empty()) return intersect(pool, *local.value);
  }
  if (pool.empty()) why_empty = "no allowed CPU";
  return pool;
}

void place_numa_local(const json& policy, const Snapshot& snap, const Placer& placer, IrqPlacement& out) {
  const Topology& topo = *snap.topology;
  const CpuSet pool = policy_pool(policy, topo);
  const bool one_per_core = policy["one_per_core"].get<bool>();
  for (const NicInfo* nic : selected_nics(policy["nics"], *snap.nics)) {
    std::string why_empty;
    const CpuSet cpus = nic_pool(*nic, pool, topo, why_empty);
    const auto irqs = queue_irqs(*nic);
    for (size_t k = 0; k < irqs.size(); ++k) {
      const NicIrq& i = irqs[k];
      if (cpus.empty()) {
        placer.assign(out, i.irq, nic->name, i.queue, i.kind, {}, why_empty);
        continue;
      }
      // Queue q's IRQs (rx-q and tx-q) share a CPU: the queue pair's work stays on one core.
      const size_t slot = i.queue && *i.queue >= 0 ? size_t(*i.queue) : k;
      placer.assign(out, i.irq, nic->name, i.queue, i.kind, one_per_core ? CpuSet{cpus[slot % cpus.size()]} : cpus);
    }
  }
}

void place_spread(const json& policy, const Snapshot& snap, const Placer& placer, IrqPlacement& out) {
  const CpuSet pool = policy_pool(policy, *snap.topology);
  size_t next = 0;
  for (const NicInfo* nic : selected_nics(policy["nics"], *snap.nics))
    for (const NicIrq& i : queue_irqs(*nic)) {
      if (pool.empty())
        placer.assign(out, i.irq, nic->name, i.queue, i.kind, {}, "no allowed CPU");
      else
        placer.assign(out, i.irq, nic->name, i.queue, i.kind, {pool[next++ % pool.size()]});
    }
}

void place_pin(const json& policy, const Snapshot& snap, const Placer& placer, IrqPlacement& out) {
  const CpuSet online = snap.topology->online_cpus();
  for (const auto& [key, spec] : policy["map"].items()) {
    const CpuSet want = *parse_cpulist(spec.get<std::string>()).value;
    const CpuSet offline = subtract(want, online);
    const std::string skip = offline.empty() ? "" : "CPUs " + format_cpulist(offline) + " are not online";
    auto colon = key.find(':');
    if (colon == std::string::npos) {
      const int irq = int(*parse_int(key));
      if (!placer.has_irq(irq)) {
        out.notes.push_back("pin: IRQ " + key + " does not exist on this host");
        continue;
      }
      placer.assign(out, irq, "", std::nullopt, "", want, skip);
      continue;
    }
    const std::string ifname = key.substr(0, colon);
    const int queue = int(*parse_int(key.substr(colon + 1)));
    auto nic = std::find_if(snap.nics->begin(), snap.nics->end(), [&](const NicInfo& n) { return n.name == ifname; });
    bool found = false;
    if (nic != snap.nics->end())
      for (const NicIrq& i : queue_irqs(*nic))
        if (i.queue == queue) {
          placer.assign(out, i.irq, ifname, i.queue, i.kind, want, skip);
          found = true;
        }
    if (!found) out.notes.push_back("pin: " + key + ": no such NIC queue IRQ on this host");
  }
}

}  // namespace

IrqPlacement place_irqs(const json& policy, const Snapshot& snap) {
  IrqPlacement out;
  for (const auto& [area, present] : {std::pair<const char*, bool>{"topology", bool(snap.topology)},
                                      {"nic", bool(snap.nics)}, {"irq", bool(snap.irqs)}})
    if (!present) {
      const auto it = snap.unavailable.find(area);
      out.notes.push_back(std::string("irq policy not placed: ") + area + " unavailable" +
                          (it != snap.unavailable.end() ? " (" + it->second + ")" : ""));
      return out;
    }
  const Placer placer(snap);
  const std::string policy_name = policy["policy"].get<std::string>();
  if (policy_name == "numa-local")
    place_numa_local(policy, snap, placer, out);
  else if (policy_name == "spread")
    place_spread(policy, snap, placer, out);
  else
    place_pin(policy, snap, placer, out);
  if (out.assignments.empty() && out.notes.empty() && policy_name != "pin")
    out.notes.push_back("irq policy " + policy_name + ": no NIC queue IRQs match " + policy["nics"].dump());
  return out;
}

}  // namespace tunectl
