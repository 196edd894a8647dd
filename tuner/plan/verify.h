// Drift detection: is the host (still) what a profile says? Per knob: expected, actual, effective
// and a status:
//   ok            the value is as desired and, where a knob can tell, in effect
//   drift         the value differs, or it reads back but has no effect
//   pending       as desired, effect not visible yet (x86 moves IRQs on the next interrupt)
//   pending-reboot  a boot-time setting (boot: kernel parameter) is configured for the next boot,
//                 but the running kernel did not boot with it (/proc/cmdline)
//   not-settable  the host cannot take this setting (managed IRQ, read-only file)
//   missing       the file the profile expects does not exist
// not-settable and missing are what `apply` skips (with a warning), so by default they do not fail
// verify either: apply-then-verify agrees. `strict` makes them, and the plan's warnings, failures,
// as `apply --strict` refuses them; pending-reboot fails only under `strict` too (the host is
// configured; the reboot is the operator's to schedule). A knob missing because apply has yet to create its container
// fails like drift: apply would change it.
// Pure, like plan: nothing is written.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/host.h"
#include "probes/snapshot.h"
#include "tuner/plan/plan.h"
#include "tuner/profile/profile.h"

namespace tunectl {

enum class VerifyStatus { kOk, kDrift, kPending, kPendingReboot, kNotSettable, kMissing };
const char* to_string(VerifyStatus s);
void to_json(json& j, const VerifyStatus& s);
void from_json(const json& j, VerifyStatus& s);

struct VerifyItem {
  std::string knob, expected, actual, effective;
  VerifyStatus status = VerifyStatus::kOk;
  std::string detail, why;
};

struct VerifyReport {
  std::string profile, profile_digest, root;
  bool ok = true;                     // no drift (strict: nothing skipped, no warning either)
  bool strict = false;
  std::map<std::string, int> summary; // status -> count
  std::vector<VerifyItem> items;      // in plan order: changes, then already, then skipped
  std::vector<Excluded> excluded;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;  // the plan's (tuner/plan/plan.h)
};

VerifyReport verify_profile(const Host& host, const Snapshot& snap, const Profile& profile, bool strict = false);

// 0 when ok (pending never fails), 1 otherwise.
int verify_exit_code(const VerifyReport& r);

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VerifyItem, knob, expected, actual, effective, status, detail, why)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VerifyReport, profile, profile_digest, root, ok, strict, summary, items, excluded, notes,
                                                warnings)

}  // namespace tunectl
