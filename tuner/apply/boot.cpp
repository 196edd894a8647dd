// `tunectl boot`: plan the persisted profile against the host; write only when it differs.
#include "tuner/apply/boot.h"

#include "tuner/apply/state_dir.h"
#include "tuner/apply/status.h"
#include "tuner/plan/planner.h"

namespace tunectl {
namespace {

std::string label(const PersistedRecord& rec) {
  return rec.profile + " (sha256 " + rec.digest.substr(0, 12) + ")";
}

// Knobs the plan could not set here (a device not there yet, a read-only file): said, not fatal.
std::string skipped_note(const std::vector<Change>& skipped) {
  if (skipped.empty()) return "";
  return "; " + std::to_string(skipped.size()) + " knob(s) missing or not settable here (first: " +
         skipped.front().knob + ": " + skipped.front().reason + ")";
}

}  // namespace

void to_json(json& j, const BootResult& r) {
  j = {{"schema", "tunectl.boot/1"},
       {"root", r.root},
       {"profile", r.record.profile},
       {"digest", r.record.digest},
       {"matched", r.matched},
       {"message", r.message},
       {"transaction", r.tx}};
}

BootResult boot(const BootRequest& req) {
  BootResult out;
  out.root = canonical_root(req.root);
  const Host host(out.root);
  const auto rec = read_persisted(host);
  if (!rec)
    throw PersistRecordError(std::string("no persisted profile: ") + kPersistedRecord +
                             " does not exist (persist one with `tunectl apply -p PROFILE --persist`)");
  out.record = *rec;
  const Profile profile = persisted_profile(*rec);

  // Planned without the lock first: a host that matches is left exactly as it is (no state dir,
  // no lock file, no journal). An open transaction or a corrupt journal always goes to the apply,
  // which recovers the first and refuses the second.
  const Plan plan = make_plan(host, plan_snapshot(host, plan_areas(profile)), profile);
  if (plan.changes.empty() && open_transaction_warnings(out.root, req.state_dir).empty()) {
    out.matched = true;
    out.tx = plan_view(plan, out.root, TxState::kUnchanged);
    out.message = "host matches " + label(*rec) + "; nothing written" + skipped_note(plan.skipped);
    return out;
  }
  ApplyRequest apply;
  apply.profile = rec->profile;
  apply.loaded = profile;
  apply.root = out.root;
  apply.state_dir = req.state_dir;
  apply.recover = true;  // a crash before the reboot: closed without writing (earlier boot)
  out.tx = apply_profile(apply);
  std::string recovered;
  for (const auto& id : out.tx.recovered) recovered += (recovered.empty() ? "; recovered " : ", ") + id;
  if (out.tx.state == TxState::kUnchanged) {
    out.matched = true;
    out.message = "host matches " + label(*rec) + "; nothing written" + recovered + skipped_note(out.tx.skipped);
  } else if (out.tx.state == TxState::kApplied) {
    out.message = "re-applied " + label(*rec) + " as transaction " + out.tx.id.value_or("-") + ": " +
                  std::to_string(out.tx.changes.size()) + " knob(s) written" + recovered + skipped_note(out.tx.skipped);
  } else {
    out.message = "re-applying " + label(*rec) + " failed: " + out.tx.error.value_or("apply failed") +
                  (out.tx.state == TxState::kRolledBack ? "; every knob written was restored" : "") + recovered;
  }
  return out;
}

}  // namespace tunectl
