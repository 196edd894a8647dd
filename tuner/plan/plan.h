// Plan: Snapshot x Profile -> ordered list of changes. Pure: computing a plan never writes.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"
#include "tuner/knobs/section.h"
#include "tuner/profile/profile.h"

namespace tunectl {

enum class ChangeStatus {
  kChange,       // will be written
  kOk,           // already as desired
  kNotSettable,  // this host cannot take it (managed IRQ, read-only file, invalid here)
  kMissing,      // the file the knob needs does not exist
};
const char* to_string(ChangeStatus s);
ChangeStatus change_status_from_string(const std::string& s);  // throws InputError
void to_json(json& j, const ChangeStatus& s);
void from_json(const json& j, ChangeStatus& s);

struct Change {
  std::string knob;      // address
  std::string current;   // normalised current value ("" when missing or not yet created)
  std::string desired;   // normalised desired value
  std::string value;     // exact value to write
  std::string why;       // from the profile
  std::string source;    // where the advice comes from (kernel doc, vendor guide)
  ChangeStatus status = ChangeStatus::kChange;
  std::string reason;    // for not-settable / missing
  bool per_netns = false;
};

struct Plan {
  std::string profile;         // name or path
  std::string profile_digest;  // sha256 of the resolved profile JSON
  std::string root;            // host root the plan was made for
  std::vector<Change> changes; // in apply order (status kChange)
  std::vector<Change> already; // status kOk
  std::vector<Change> skipped; // not-settable / missing, with reasons
  std::vector<IrqMapEntry> irq_map;  // the irq policy's placement, for display
  std::vector<Excluded> excluded;    // profile items whose "when" does not hold on this host
  std::vector<std::string> notes;    // what a policy could not do, and ordering caveats
  // What the profile asks for that this host silently would not get: a NIC glob matching nothing,
  // an IRQ that does not exist, an area that could not be probed, a root with no /proc or /sys.
  // Printed by default; with --strict they (and every skipped knob) refuse the apply.
  std::vector<std::string> warnings;
  // sha256 of what the plan would write where (plan_digest.h): `apply --expect-plan` compares it.
  std::string digest;
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Change, knob, current, desired, value, why, source, status, reason, per_netns)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Plan, profile, profile_digest, root, changes, already, skipped, irq_map, excluded, notes,
                                                warnings, digest)

}  // namespace tunectl
