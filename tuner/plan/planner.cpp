// The planner: every section of the evaluated profile hands its settings to the planner through
// its own collector (tuner/knobs/section.h); the planner orders them by apply phase, resolves
// duplicates, and assesses each knob against the host. It never writes.
#include "tuner/plan/planner.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <set>

#include "core/errors.h"
#include "core/strict_json.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/section.h"
#include "tuner/plan/plan_review.h"

namespace tunectl {
namespace {

struct Item {
  ApplyPhase phase;
  int order = 0;
  std::string address;
  Setting setting;
  std::shared_ptr<const Knob> knob;  // made once, when collected
};

class Planner : public PlanSink {
 public:
  Planner(const Host& host, const Snapshot& snap, const Profile& profile)
      : host_(host), snap_(snap), profile_(profile) {}

  Plan run() {
    EffectiveProfile eff = evaluate_profile(profile_, snap_, &host_);
    plan_.profile = profile_.name;
    plan_.profile_digest = profile_.digest;
    plan_.root = host_.root();
    plan_.excluded = eff.excluded;
    if (!host_.is_dir("/proc") && !host_.is_dir("/sys"))
      warn("root " + host_.root() + " has neither proc/ nor sys/: there is no host there to tune (is it a captured tree?)");
    for (const ProfileSection* sec : profile_sections())
      if (eff.settings.contains(sec->name)) sec->collect(eff.settings[sec->name], *this);
    std::stable_sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
      if (a.phase != b.phase) return a.phase < b.phase;
      if (a.order != b.order) return a.order < b.order;
      return natural_less(a.address, b.address);
    });
    for (const Item& it : dedup()) {
      Change c = assess(it);
      if (c.status == ChangeStatus::kChange)
        if (auto n = it.knob->note_when_changed(); !n.empty()) note(c.knob + " " + n);
      place(std::move(c));
    }
    finish_irq_map();
    plan_.digest = plan_digest(plan_);
    return plan_;
  }

  // PlanSink
  const Host& host() const override { return host_; }
  const Snapshot& snapshot() const override { return snap_; }
  void add(const std::string& address, const Setting& s) override {
    std::shared_ptr<const Knob> knob = knob_at(address, s.pointer);
    items_.push_back(Item{knob_kind_of(address).phase, knob->order_in_phase(), address, s, knob});
  }
  void skip(const std::string& address, const Setting& s, const std::string& reason) override {
    Change c = change_of(address, s);
    c.status = ChangeStatus::kNotSettable;
    c.reason = reason;
    place(c);
  }
  void note(const std::string& text) override { plan_.notes.push_back(text); }
  void warn(const std::string& text) override { plan_.warnings.push_back(text); }
  void irq_row(const IrqMapEntry& row) override { plan_.irq_map.push_back(row); }
  bool need(const std::string& area, const std::string& what) override {
    if ((area == "nic" && snap_.nics) || (area == "topology" && snap_.topology) || (area == "cgroup" && snap_.cgroups))
      return true;
    auto it = snap_.unavailable.find(area);
    warn(what + " not planned: " + area + " unavailable" + (it != snap_.unavailable.end() ? " (" + it->second + ")" : ""));
    return false;
  }
  [[noreturn]] void profile_error(const std::string& pointer, const std::string& reason) const override {
    throw ProfileError(origin_of(pointer), pointer, reason);
  }

 private:
  std::string origin_of(const std::string& pointer) const {
    for (std::string p = pointer; !p.empty(); p = p.substr(0, p.rfind('/')))
      if (auto it = profile_.origins.find(p); it != profile_.origins.end()) return it->second;
    return profile_.path;
  }

  std::unique_ptr<Knob> knob_at(const std::string& address, const std::string& pointer) const {
    try {
      return make_knob(address);
    } catch (const InputError& e) {
      ProfileError err(origin_of(pointer), pointer, e.what());
      err.set_knob(address);
      throw err;
    }
  }

  static Change change_of(const std::string& address, const Setting& s) {
    Change c;
    c.knob = address;
    c.value = s.value;
    c.why = s.why;
    c.source = s.source;
    return c;
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
      const Setting& winner = items_[last[items_[i].address]].setting;
      if (winner.value != items_[i].setting.value)
        note(items_[i].address + ": set by " + items_[i].setting.pointer + " and " + winner.pointer + "; using " +
             winner.pointer + " (" + winner.value + ")");
    }
    return out;
  }

  // Whether an earlier change of this plan creates the container `knob` lives in.
  bool created_here(const Knob& knob) const {
    auto c = knob.container();
    if (!c) return false;
    return std::any_of(plan_.changes.begin(), plan_.changes.end(), [&](const Change& ch) { return ch.knob == *c; });
  }

  Change assess(const Item& it) {
    Change c = change_of(it.address, it.setting);
    const Knob* knob = it.knob.get();
    c.per_netns = knob->per_netns();
    c.desired = knob->normalise(it.setting.value);
    if (auto bad = knob->validate_for(host_, it.setting.value)) {
      c.status = ChangeStatus::kNotSettable;
      c.reason = "not valid on this host: " + *bad;
      return c;
    }
    ReadResult raw = knob->read_raw(host_);
    if (!raw.ok && raw.err == ENOENT && created_here(*knob)) {  // its file appears with its container
      c.status = ChangeStatus::kChange;
      return c;
    }
    if (!raw.ok && raw.err == ENOENT) {
      c.status = ChangeStatus::kMissing;
      c.reason = raw.error;
      return c;
    }
    if (raw.ok) c.current = knob->normalise_raw(raw.data);
    if (auto why = knob->not_settable(host_)) {
      c.status = ChangeStatus::kNotSettable;
      c.reason = *why;
    } else if (!raw.ok) {
      c.status = ChangeStatus::kNotSettable;
      c.reason = raw.error;
    } else {
      c.status = knob->matches(raw.data, it.setting.value) ? ChangeStatus::kOk : ChangeStatus::kChange;
    }
    return c;
  }

  void place(Change c) {
    switch (c.status) {
      case ChangeStatus::kChange: plan_.changes.push_back(std::move(c)); break;
      case ChangeStatus::kOk: plan_.already.push_back(std::move(c)); break;
      default: plan_.skipped.push_back(std::move(c)); break;
    }
  }

  // Each IRQ row gets the status of its knob; rows in IRQ order.
  void finish_irq_map() {
    for (IrqMapEntry& row : plan_.irq_map) {
      const std::string knob = "irq:" + std::to_string(row.irq) + ":affinity";
      for (const auto* list : {&plan_.changes, &plan_.already, &plan_.skipped})
        for (const Change& c : *list)
          if (c.knob == knob) {
            row.status = to_string(c.status);
            row.reason = c.reason;
          }
    }
    std::stable_sort(plan_.irq_map.begin(), plan_.irq_map.end(),
                     [](const IrqMapEntry& a, const IrqMapEntry& b) { return a.irq < b.irq; });
  }

  const Host& host_;
  const Snapshot& snap_;
  const Profile& profile_;
  Plan plan_;
  std::vector<Item> items_;
};

// The snapshot areas each section's collector reads (PlanSink::snapshot, need). A section missing
// here is planned from every area (tests/unit/plan/test_plan_areas.cpp lists them all).
const std::map<std::string, std::vector<std::string>>& section_areas() {
  static const std::map<std::string, std::vector<std::string>> areas = {
      {"sysctl", {}},         {"thp", {}},          {"pstate", {}},         {"cgroups", {"cgroup"}},
      {"nic", {"nic"}},       {"rps", {"nic", "topology"}},                 {"xps", {"nic", "topology"}},
      {"cpu_power", {"topology"}},                  {"irq", {"topology", "irq", "nic"}},
      {"boot", {"topology"}},
  };
  return areas;
}

// The area each condition key's fact comes from (conditions.cpp: host_facts); "" for facts that
// need no area (kernel: the snapshot's host facts; knob_exists: the host itself).
const std::map<std::string, std::string>& condition_key_areas() {
  static const std::map<std::string, std::string> areas = {
      {"numa_nodes", "topology"}, {"cpus", "topology"},        {"virtualized", "topology"}, {"nic_driver", "nic"},
      {"cgroup_mode", "cgroup"},  {"kernel", ""},              {"knob_exists", ""},         {"all", ""},
      {"any", ""},                {"not", ""},
  };
  return areas;
}

// Every area a condition (and the conditions nested in all/any/not) reads; an unknown key, every area.
void add_condition_areas(const json& cond, std::set<std::string>& out) {
  if (cond.is_array()) {
    for (const auto& c : cond) add_condition_areas(c, out);
    return;
  }
  if (!cond.is_object()) return;
  for (const auto& [key, spec] : cond.items()) {
    const auto it = condition_key_areas().find(key);
    if (it == condition_key_areas().end()) {
      out.insert(snapshot_areas().begin(), snapshot_areas().end());
    } else if (!it->second.empty()) {
      out.insert(it->second);
    }
    if (key == "all" || key == "any" || key == "not") add_condition_areas(spec, out);
  }
}

// Every "when" anywhere in the resolved profile (sections, groups, settings).
void add_when_areas(const json& j, std::set<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [key, v] : j.items()) {
      if (key == "when") add_condition_areas(v, out);
      add_when_areas(v, out);
    }
  } else if (j.is_array()) {
    for (const auto& v : j) add_when_areas(v, out);
  }
}

}  // namespace

std::vector<std::string> plan_areas(const Profile& profile) {
  std::set<std::string> wanted;
  for (const ProfileSection* sec : profile_sections()) {
    if (!profile.resolved.is_object() || !profile.resolved.contains(sec->name)) continue;
    const auto it = section_areas().find(sec->name);
    if (it == section_areas().end())
      wanted.insert(snapshot_areas().begin(), snapshot_areas().end());
    else
      wanted.insert(it->second.begin(), it->second.end());
  }
  add_when_areas(profile.resolved, wanted);
  std::vector<std::string> out;  // registry order
  for (const auto& a : snapshot_areas())
    if (wanted.count(a)) out.push_back(a);
  return out;
}

std::vector<std::string> condition_areas() {
  std::set<std::string> wanted;
  for (const auto& [key, area] : condition_key_areas())
    if (!area.empty()) wanted.insert(area);
  std::vector<std::string> out;
  for (const auto& a : snapshot_areas())
    if (wanted.count(a)) out.push_back(a);
  return out;
}

Snapshot plan_snapshot(const Host& host, const std::vector<std::string>& areas) { return take_snapshot_of(host, areas); }

Plan make_plan(const Host& host, const Snapshot& snap, const Profile& profile) {
  return Planner(host, snap, profile).run();
}

}  // namespace tunectl
