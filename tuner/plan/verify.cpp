#include "tuner/plan/verify.h"

#include <set>

#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "tuner/plan/planner.h"

namespace tunectl {
namespace {

constexpr VerifyStatus kAll[] = {VerifyStatus::kOk,          VerifyStatus::kDrift,   VerifyStatus::kPending,
                                 VerifyStatus::kPendingReboot, VerifyStatus::kNotSettable, VerifyStatus::kMissing};

VerifyItem item_of(const Change& c, VerifyStatus status, const std::string& detail) {
  return VerifyItem{c.knob, c.desired, c.current, "", status, detail, c.why};
}

}  // namespace

const char* to_string(VerifyStatus s) {
  switch (s) {
    case VerifyStatus::kOk: return "ok";
    case VerifyStatus::kDrift: return "drift";
    case VerifyStatus::kPending: return "pending";
    case VerifyStatus::kPendingReboot: return "pending-reboot";
    case VerifyStatus::kNotSettable: return "not-settable";
    case VerifyStatus::kMissing: return "missing";
  }
  return "drift";
}

void to_json(json& j, const VerifyStatus& s) { j = to_string(s); }
void from_json(const json& j, VerifyStatus& s) {
  for (VerifyStatus v : kAll)
    if (j.get<std::string>() == to_string(v)) {
      s = v;
      return;
    }
  throw InputError("unknown verify status " + j.dump());
}

VerifyReport verify_profile(const Host& host, const Snapshot& snap, const Profile& profile, bool strict) {
  const Plan plan = make_plan(host, snap, profile);
  const bool effects = !profile.resolved.contains("verify") || profile.resolved["verify"].value("effects", true);
  VerifyReport r;
  r.profile = plan.profile;
  r.profile_digest = plan.profile_digest;
  r.root = plan.root;
  r.excluded = plan.excluded;
  r.notes = plan.notes;
  r.warnings = plan.warnings;
  r.strict = strict;

  std::set<std::string> to_change;  // knobs not as desired, containers included
  for (const Change& c : plan.changes) {
    to_change.insert(c.knob);
    const auto container = make_knob(c.knob)->container();
    if (container && to_change.count(*container))
      r.items.push_back(item_of(c, VerifyStatus::kMissing, "its container " + *container + " does not exist"));
    else
      r.items.push_back(item_of(c, VerifyStatus::kDrift, "is " + (c.current.empty() ? "empty" : "'" + c.current + "'") +
                                                             ", profile wants '" + c.desired + "'"));
  }
  for (const Change& c : plan.already) {
    VerifyItem it = item_of(c, VerifyStatus::kOk, "");
    const auto knob = make_knob(c.knob);
    if (knob->takes_effect_at_boot()) {  // configured for the next boot: has this boot got it?
      if (auto waiting = knob->awaiting_reboot(host, c.value)) {
        it.status = VerifyStatus::kPendingReboot;
        it.detail = *waiting;
      }
    } else if (effects) {
      Effect e = knob->check_effect(host, c.value);
      it.effective = to_string(e.status);
      it.detail = e.detail;
      if (e.status == EffectStatus::kPending) it.status = VerifyStatus::kPending;
      if (e.status == EffectStatus::kFailed) it.status = VerifyStatus::kDrift;
    }
    r.items.push_back(it);
  }
  for (const Change& c : plan.skipped)
    r.items.push_back(item_of(c, c.status == ChangeStatus::kMissing ? VerifyStatus::kMissing : VerifyStatus::kNotSettable,
                              c.reason));

  for (const auto& it : r.items) {
    ++r.summary[to_string(it.status)];
    // Missing because apply has yet to create its container is drift: apply would change it.
    const bool to_be_changed = to_change.count(it.knob) > 0;
    const bool skipped = !to_be_changed && (it.status == VerifyStatus::kMissing || it.status == VerifyStatus::kNotSettable);
    const bool waits_for_reboot = it.status == VerifyStatus::kPendingReboot;
    if (it.status == VerifyStatus::kDrift || to_be_changed || (strict && (skipped || waits_for_reboot))) r.ok = false;
  }
  if (strict && !r.warnings.empty()) r.ok = false;
  return r;
}

int verify_exit_code(const VerifyReport& r) { return r.ok ? kExitOk : kExitDrift; }

}  // namespace tunectl
