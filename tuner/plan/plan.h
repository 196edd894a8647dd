// Plan: Snapshot x Profile -> ordered list of changes. Pure: computing a plan never writes.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"
#include "tuner/profile/profile.h"

namespace tunectl {

struct Change {
  std::string knob;      // address
  std::string current;   // normalised current value ("" when missing)
  std::string desired;   // normalised desired value
  std::string value;     // exact value to write
  std::string why;       // from the profile
  std::string source;    // where the advice comes from (kernel doc, vendor guide)
  // "change": will be written; "ok": already as desired; "not-settable" / "missing": skipped.
  std::string status;
  std::string reason;    // for not-settable / missing
  bool per_netns = false;
  // "write" (the knob gets `value`), or "mkdir": create the cgroup directory that `knob` (a
  // cgroup knob address) lives in, before its limits are written (make_cgroup_dir).
  std::string action = "write";
};

struct Plan {
  std::string profile;         // name or path
  std::string profile_digest;  // sha256 of the resolved profile JSON
  std::string root;            // host root the plan was made for
  std::vector<Change> changes; // in apply order (status == "change")
  std::vector<Change> already; // status == "ok"
  std::vector<Change> skipped; // not-settable / missing, with reasons
  json irq_map;                // policy result: [{irq, nic, queue, kind, cpus, status}] for display
  std::vector<Excluded> excluded;  // profile items whose "when" does not hold on this host
  std::vector<std::string> notes;  // what a policy could not do, and ordering caveats
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Change, knob, current, desired, value, why, source, status, reason, per_netns, action)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Plan, profile, profile_digest, root, changes, already, skipped, irq_map, excluded, notes)

}  // namespace tunectl
