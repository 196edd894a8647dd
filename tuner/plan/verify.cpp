#include "tuner/plan/verify.h"

#include <set>

#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "tuner/plan/planner.h"

namespace tunectl {
namespace {

std::string group_of(const std::string& cgroup_address) {
  return cgroup_address.substr(0, cgroup_address.rfind(':'));
}

VerifyItem item_of(const Change& c, const std::string& status, const std::string& detail) {
  return VerifyItem{c.knob, c.desired, c.current, "", status, detail, c.why};
}

}  // namespace

VerifyReport verify_profile(const Host& host, const Snapshot& snap, const Profile& profile) {
  const Plan plan = make_plan(host, snap, profile);
  const bool effects = !profile.resolved.contains("verify") || profile.resolved["verify"].value("effects", true);
  VerifyReport r;
  r.profile = plan.profile;
  r.profile_digest = plan.profile_digest;
  r.root = plan.root;
  r.excluded = plan.excluded;
  r.notes = plan.notes;

  std::set<std::string> absent_groups;
  for (const Change& c : plan.changes) {
    if (c.action == "mkdir") {
      absent_groups.insert(group_of(c.knob));
      r.items.push_back(VerifyItem{group_of(c.knob), "present", "absent", "", "missing", "cgroup does not exist", c.why});
    } else if (absent_groups.count(group_of(c.knob))) {
      r.items.push_back(item_of(c, "missing", "its cgroup does not exist"));
    } else {
      r.items.push_back(item_of(c, "drift", "is " + (c.current.empty() ? "empty" : "'" + c.current + "'") +
                                                ", profile wants '" + c.desired + "'"));
    }
  }
  for (const Change& c : plan.already) {
    VerifyItem it = item_of(c, "ok", "");
    if (effects) {
      Effect e = make_knob(c.knob)->check_effect(host, c.value);
      it.effective = to_string(e.status);
      it.detail = e.detail;
      if (e.status == EffectStatus::kPending) it.status = "pending";
      if (e.status == EffectStatus::kFailed) it.status = "drift";
    }
    r.items.push_back(it);
  }
  for (const Change& c : plan.skipped) r.items.push_back(item_of(c, c.status, c.reason));

  for (const auto& it : r.items) {
    ++r.summary[it.status];
    if (it.status == "drift" || it.status == "missing") r.ok = false;
  }
  return r;
}

int verify_exit_code(const VerifyReport& r) { return r.ok ? kExitOk : kExitDrift; }

}  // namespace tunectl
