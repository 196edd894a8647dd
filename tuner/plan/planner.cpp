#include "tuner/plan/planner.h"

#include <fnmatch.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "core/errors.h"
#include "tuner/plan/cpu_pool.h"
#include "tuner/plan/irq_policy.h"
#include "tuner/knobs/knob.h"
#include "tuner/profile/profile_schema.h"
#include "core/strict_json.h"

namespace tunectl {
namespace {

// Apply order. Each step only depends on steps before it:
//  1. cgroup directories, then their limits (a limit needs its directory; cpu.max before
//     cpu.max.burst because the kernel refuses a burst larger than the quota);
//  2. ethtool channels, then rings/coalescing: changing the channel count re-creates the queues
//     and their IRQs, so nothing queue-specific may come before it;
//  3. sysctls (net.core.rps_sock_flow_entries sizes the table the per-queue rps_flow_cnt uses);
//  4. RPS/RFS/XPS per queue, then IRQ affinity;
//  5. THP last: it changes memory behaviour for every process at once (and wakes khugepaged), so
//     a failure anywhere earlier rolls back before the host-wide memory policy is touched.
enum Phase { kCgroupDir, kCgroupLimit, kChannels, kNicOther, kSysctl, kSteering, kIrq, kThp };

struct Item {
  Phase phase;
  int sub = 0;  // order inside the phase where it matters (cgroup files)
  std::string address, value, why, source;
  std::string pointer;  // where in the resolved profile it comes from
  bool create_group = false;
};

int cgroup_file_order(const std::string& file) {
  static const std::vector<std::string> order = {"cpuset.cpus", "cpu.weight", "cpu.shares", "cpu.max", "cpu.max.burst"};
  auto it = std::find(order.begin(), order.end(), file);
  return it == order.end() ? int(order.size()) : int(it - order.begin());
}

bool glob_match(const std::string& glob, const std::string& name) {
  return fnmatch(glob.c_str(), name.c_str(), 0) == 0;
}

std::string str(const json& obj, const char* key) {
  return obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : std::string();
}

// Largest power of two <= n (at least 1): rps_flow_cnt must be a power of two.
int64_t pow2_floor(int64_t n) {
  int64_t p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

class Planner {
 public:
  Planner(const Host& host, const Snapshot& snap, const Profile& profile)
      : host_(host), snap_(snap), profile_(profile) {}

  Plan run() {
    EffectiveProfile eff = evaluate_profile(profile_, snap_);
    plan_.profile = profile_.name;
    plan_.profile_digest = profile_.digest;
    plan_.root = host_.root();
    plan_.excluded = eff.excluded;
    plan_.irq_map = json::array();
    const json& s = eff.settings;
    if (s.contains("sysctl")) collect_keyed(s["sysctl"], "sysctl", kSysctl);
    if (s.contains("thp")) collect_keyed(s["thp"], "thp", kThp);
    if (s.contains("cgroups")) collect_cgroups(s["cgroups"]);
    if (s.contains("nic")) collect_nic(s["nic"]);
    if (s.contains("rps")) collect_rps(s["rps"]);
    if (s.contains("xps")) collect_xps(s["xps"]);
    if (s.contains("irq")) collect_irq(s["irq"]);
    std::stable_sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
      if (a.phase != b.phase) return a.phase < b.phase;
      if (a.sub != b.sub) return a.sub < b.sub;
      return natural_less(a.address, b.address);
    });
    for (const Item& it : dedup()) place(assess(it));
    finish_irq_map();
    note_queue_changes();
    return plan_;
  }

 private:
  std::string origin_of(const std::string& pointer) const {
    for (std::string p = pointer; !p.empty(); p = p.substr(0, p.rfind('/')))
      if (auto it = profile_.origins.find(p); it != profile_.origins.end()) return it->second;
    return profile_.path;
  }

  [[noreturn]] void profile_error(const std::string& pointer, const std::string& reason) const {
    throw ProfileError(origin_of(pointer) + ": " + pointer + ": " + reason);
  }

  void add(Item it) { items_.push_back(std::move(it)); }

  void add_setting(Phase phase, const std::string& address, const json& s, const std::string& pointer, int sub = 0) {
    add(Item{phase, sub, address, setting_text(s["value"]), str(s, "why"), str(s, "source"), pointer});
  }

  void collect_keyed(const json& sec, const std::string& kind, Phase phase) {
    for (const auto& [key, s] : sec.items())
      add_setting(phase, kind + ":" + key, s, "/" + kind + "/" + pointer_token(key));
  }

  std::vector<const NicInfo*> nics_matching(const std::vector<std::string>& globs) const {
    std::vector<const NicInfo*> out;
    if (!snap_.nics) return out;
    for (const auto& n : *snap_.nics) {
      if (n.is_virtual) continue;
      for (const auto& g : globs)
        if (glob_match(g, n.name)) {
          out.push_back(&n);
          break;
        }
    }
    std::sort(out.begin(), out.end(), [](const NicInfo* a, const NicInfo* b) { return natural_less(a->name, b->name); });
    return out;
  }

  // Whether a snapshot area a section needs is there; a note when not.
  bool need(const std::string& area, const std::string& what) {
    if ((area == "nic" && snap_.nics) || (area == "topology" && snap_.topology)) return true;
    auto it = snap_.unavailable.find(area);
    plan_.notes.push_back(what + " not planned: " + area + " unavailable" +
                          (it != snap_.unavailable.end() ? " (" + it->second + ")" : ""));
    return false;
  }

  void collect_nic(const json& sec) {
    if (!need("nic", "nic settings")) return;
    for (const auto& [glob, fields] : sec.items()) {
      auto nics = nics_matching({glob});
      if (nics.empty()) plan_.notes.push_back("nic: no physical NIC matches '" + glob + "'");
      for (const NicInfo* n : nics)
        for (const auto& [field, s] : fields.items())
          add_setting(field.rfind("channels.", 0) == 0 ? kChannels : kNicOther, "ethtool:" + n->name + ":" + field, s,
                      "/nic/" + pointer_token(glob) + "/" + pointer_token(field));
    }
  }

  // cgroupfs has no symlinks; one on the way to a profile's group can only lead out of the mount.
  void check_cgroup_symlinks(const std::string& path, const std::string& pointer) const {
    if (!snap_.cgroups) return;
    for (const auto& mount : {snap_.cgroups->unified_mount, snap_.cgroups->cpu_mount, snap_.cgroups->cpuset_mount}) {
      if (!mount) continue;
      std::string p = *mount;
      size_t i = 1;
      while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        p += "/" + path.substr(i, j - i);
        if (auto target = host_.readlink(p))
          profile_error(pointer, "cgroup path leads through a symlink (" + p + " -> " + *target +
                                     "): it could escape the cgroup mount; refusing");
        i = j + 1;
      }
    }
  }

  void collect_cgroups(const json& sec) {
    for (const auto& [path, g] : sec.items()) {
      const std::string gp = "/cgroups/" + pointer_token(path);
      check_cgroup_symlinks(path, gp);
      const bool create = g.contains("create") && g["create"].get<bool>();
      for (const auto& [field, s] : g.items()) {
        if (field == "create" || field == "why" || field == "source") continue;
        add_setting(kCgroupLimit, "cgroup:" + path + ":" + field, s, gp + "/" + pointer_token(field), cgroup_file_order(field));
        items_.back().create_group = create;
      }
    }
  }

  CpuSet steering_pool(const json& pol, const NicInfo& nic) const {
    const Topology& topo = *snap_.topology;
    CpuSet pool = cpu_pool(pol["cpus"].get<std::string>(), pol["exclude_isolated"].get<bool>(), topo);
    if (pol["numa_local"].get<bool>() && nic.numa_node && *nic.numa_node >= 0) {
      CpuSet local = intersect(pool, topo.node_cpus(*nic.numa_node));
      if (!local.empty()) return local;
    }
    return pool;
  }

  static std::vector<int> queues(const std::vector<QueueCpus>& listed, int count) {
    std::vector<int> out;
    for (const auto& q : listed) out.push_back(q.queue);
    if (out.empty())
      for (int i = 0; i < count; ++i) out.push_back(i);
    return out;
  }

  void collect_rps(const json& pol) {
    const std::string why = str(pol, "why"), source = str(pol, "source");
    if (pol.contains("flow_entries"))
      add(Item{kSysctl, 0, "sysctl:net.core.rps_sock_flow_entries", pol["flow_entries"].dump(), why, source, "/rps/flow_entries"});
    if (!need("nic", "rps") || !need("topology", "rps")) return;
    for (const NicInfo* n : nics_matching(pol["nics"].get<std::vector<std::string>>())) {
      const CpuSet pool = steering_pool(pol, *n);
      const auto rx = queues(n->rps, n->rx_queues);
      for (int q : rx) {
        const std::string qn = n->name + ":rx-" + std::to_string(q);
        add(Item{kSteering, 0, "rps:" + qn, format_cpulist(pool), why, source, "/rps"});
        // scaling.rst: rps_flow_cnt = rps_sock_flow_entries / N for N receive queues.
        std::optional<int64_t> cnt;
        if (pol.contains("flow_cnt"))
          cnt = pol["flow_cnt"].get<int64_t>();
        else if (pol.contains("flow_entries") && !rx.empty())
          cnt = pow2_floor(std::max<int64_t>(1, pol["flow_entries"].get<int64_t>() / int64_t(rx.size())));
        if (cnt) add(Item{kSteering, 0, "rps_flow:" + qn, std::to_string(*cnt), why, source, "/rps"});
      }
    }
  }

  // XPS: the pool's CPUs are dealt out over the TX queues (CPU j -> queue j mod N), so each CPU
  // transmits on exactly one queue; with more queues than CPUs, queue i gets CPU i mod |pool|.
  void collect_xps(const json& pol) {
    if (!need("nic", "xps") || !need("topology", "xps")) return;
    const std::string why = str(pol, "why"), source = str(pol, "source");
    for (const NicInfo* n : nics_matching(pol["nics"].get<std::vector<std::string>>())) {
      const CpuSet pool = steering_pool(pol, *n);
      const auto tx = queues(n->xps, n->tx_queues);
      if (pool.empty() || tx.empty()) continue;
      for (size_t i = 0; i < tx.size(); ++i) {
        CpuSet cpus;
        for (size_t j = i; j < pool.size(); j += tx.size()) cpus.push_back(pool[j]);
        if (cpus.empty()) cpus.push_back(pool[i % pool.size()]);
        add(Item{kSteering, 1, "xps:" + n->name + ":tx-" + std::to_string(tx[i]), format_cpulist(cpus), why, source, "/xps"});
      }
    }
  }

  void collect_irq(const json& pol) {
    IrqPlacement placed = place_irqs(pol, snap_);
    for (auto& n : placed.notes) plan_.notes.push_back(std::move(n));
    const std::string policy = pol["policy"].get<std::string>();
    const std::string why = str(pol, "why").empty() ? "irq policy " + policy : str(pol, "why");
    for (const auto& a : placed.assignments) {
      const std::string address = "irq:" + std::to_string(a.irq) + ":affinity";
      json entry = {{"irq", a.irq}, {"nic", a.nic}, {"queue", a.queue ? json(*a.queue) : json()},
                    {"kind", a.kind}, {"cpus", a.cpus}};
      irq_entries_[address] = entry;
      if (!a.skip_reason.empty()) {
        Change c;
        c.knob = address;
        c.why = why;
        c.source = str(pol, "source");
        c.status = "not-settable";
        c.reason = a.skip_reason;
        place(c);
        continue;
      }
      add(Item{kIrq, 0, address, a.cpus, why, str(pol, "source"), "/irq"});
    }
  }

  // The same knob from two places (overlapping NIC globs, rps.flow_entries and a sysctl): the
  // later one wins, and the plan says so.
  std::vector<Item> dedup() {
    std::map<std::string, size_t> last;
    for (size_t i = 0; i < items_.size(); ++i) last[items_[i].address] = i;
    std::vector<Item> out;
    for (size_t i = 0; i < items_.size(); ++i) {
      if (last[items_[i].address] == i) {
        out.push_back(items_[i]);
        continue;
      }
      const Item& winner = items_[last[items_[i].address]];
      if (winner.value != items_[i].value)
        plan_.notes.push_back(items_[i].address + ": set by " + items_[i].pointer + " and " + winner.pointer +
                              "; using " + winner.pointer + " (" + winner.value + ")");
    }
    return out;
  }

  Change assess(const Item& it) {
    Change c;
    c.knob = it.address;
    c.value = it.value;
    c.why = it.why;
    c.source = it.source;
    std::unique_ptr<Knob> knob;
    try {
      knob = make_knob(it.address);
    } catch (const InputError& e) {
      profile_error(it.pointer, e.what());
    }
    c.per_netns = knob->per_netns();
    c.desired = knob->normalise(it.value);
    if (auto bad = knob->validate_for(host_, it.value)) {
      c.status = "not-settable";
      c.reason = "not valid on this host: " + *bad;
      return c;
    }
    ReadResult raw = knob->read_raw(host_);
    if (!raw.ok && raw.err == ENOENT) {
      if (it.create_group) {
        add_mkdir(it);
        c.status = "change";
        return c;
      }
      c.status = "missing";
      c.reason = raw.error + (it.phase == kCgroupLimit ? " (to create the group, say \"create\": true)" : "");
      return c;
    }
    if (raw.ok) c.current = knob->normalise_raw(raw.data);
    if (auto why = knob->not_settable(host_)) {
      c.status = "not-settable";
      c.reason = *why;
    } else if (!raw.ok) {
      c.status = "not-settable";
      c.reason = raw.error;
    } else {
      c.status = c.current == c.desired ? "ok" : "change";
    }
    return c;
  }

  // One mkdir per new group, before its first limit (items are already in apply order).
  void add_mkdir(const Item& it) {
    const std::string group = it.address.substr(0, it.address.rfind(':'));
    if (!mkdirs_.insert(group).second) return;
    Change c;
    c.knob = it.address;
    c.action = "mkdir";
    c.current = "absent";
    c.desired = "present";
    c.why = "the profile creates " + group.substr(7) + " (\"create\": true)";
    c.source = it.source;
    c.status = "change";
    plan_.changes.push_back(c);
  }

  void place(Change c) {
    if (c.status == "change")
      plan_.changes.push_back(std::move(c));
    else if (c.status == "ok")
      plan_.already.push_back(std::move(c));
    else
      plan_.skipped.push_back(std::move(c));
  }

  void finish_irq_map() {
    auto status_of = [&](const std::string& knob) -> std::pair<std::string, std::string> {
      for (const auto* list : {&plan_.changes, &plan_.already, &plan_.skipped})
        for (const Change& c : *list)
          if (c.knob == knob && c.action == "write") return {c.status, c.reason};
      return {"", ""};
    };
    std::vector<std::pair<int, json>> rows;
    for (auto& [address, entry] : irq_entries_) {
      auto [status, reason] = status_of(address);
      entry["status"] = status;
      if (!reason.empty()) entry["reason"] = reason;
      rows.emplace_back(entry["irq"].get<int>(), entry);
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& r : rows) plan_.irq_map.push_back(r.second);
  }

  void note_queue_changes() {
    for (const Change& c : plan_.changes)
      if (c.knob.rfind("ethtool:", 0) == 0 && c.knob.find(":channels.") != std::string::npos)
        plan_.notes.push_back(c.knob + " changes the queue count: IRQ, RPS and XPS placement here is for the "
                              "current queues; run plan again after apply");
  }

  const Host& host_;
  const Snapshot& snap_;
  const Profile& profile_;
  Plan plan_;
  std::vector<Item> items_;
  std::map<std::string, json> irq_entries_;
  std::set<std::string> mkdirs_;
};

}  // namespace

Snapshot plan_snapshot(const Host& host) { return take_snapshot(host); }

Host host_for_root(const std::string& root) {
  Host host(root);
  if (!host.is_dir("/")) throw InputError("--root " + root + ": not a directory");
  return host;
}

Plan make_plan(const Host& host, const Snapshot& snap, const Profile& profile) {
  return Planner(host, snap, profile).run();
}

}  // namespace tunectl
