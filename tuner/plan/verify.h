// Drift detection: is the host (still) what a profile says? Per knob: expected, actual, effective
// and a status:
//   ok            the value is as desired and, where a knob can tell, in effect
//   drift         the value differs, or it reads back but has no effect
//   pending       as desired, effect not visible yet (x86 moves IRQs on the next interrupt)
//   not-settable  the host cannot take this setting (managed IRQ, read-only file); not a failure
//   missing       the file the profile expects does not exist (or its container does not)
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

enum class VerifyStatus { kOk, kDrift, kPending, kNotSettable, kMissing };
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
  bool ok = true;                     // no drift, nothing missing
  std::map<std::string, int> summary; // status -> count
  std::vector<VerifyItem> items;      // in plan order: changes, then already, then skipped
  std::vector<Excluded> excluded;
  std::vector<std::string> notes;
};

VerifyReport verify_profile(const Host& host, const Snapshot& snap, const Profile& profile);

// 0 when ok (pending and not-settable do not fail), 1 on drift or missing.
int verify_exit_code(const VerifyReport& r);

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VerifyItem, knob, expected, actual, effective, status, detail, why)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VerifyReport, profile, profile_digest, root, ok, summary, items, excluded, notes)

}  // namespace tunectl
