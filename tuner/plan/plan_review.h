// Reviewing a plan before it is applied: the checks `apply` makes on the plan it made under the
// lock. `--expect-plan DIGEST` / `--plan FILE`: the digest covers exactly what would be written
// where — root, profile digest and, per change, knob, current value and value to write — so any
// difference in those changes it. `--strict`: nothing skipped and no warning.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/errors.h"
#include "tuner/plan/plan.h"

namespace tunectl {

// An apply refused before anything was written because the plan is not the one expected:
// it changed since it was reviewed (--expect-plan, --plan), or --strict found something skipped.
// Exit 1, like drift: the host is not what the caller was told it would become.
class PlanRefused : public Error {
 public:
  explicit PlanRefused(const std::string& what) : Error(what, kExitDrift) {}
};

// sha256 (hex) of the plan's root, profile digest and changes.
std::string plan_digest(const Plan& plan);

// How `now` differs from the `reviewed` plan, one line per knob ("+ sysctl:x: 0 -> 1" added,
// "- ..." gone, "~ knob: now 0 -> 2, reviewed 0 -> 1"); root or profile changes first. Empty when
// the two would write the same.
std::vector<std::string> plan_differences(const Plan& reviewed, const Plan& now);

// A plan saved from `tunectl plan --json` (or Python's Plan.to_dict()), for `apply --plan FILE`.
// Throws InputError naming the file: unreadable, not JSON, not a plan.
Plan read_plan_file(const std::string& path);
Plan plan_from_json(const json& j, const std::string& origin);

// What --strict refuses: every skipped knob (missing, not settable) and every warning.
std::vector<std::string> strict_failures(const Plan& plan);

struct PlanExpectations {
  bool strict = false;
  std::optional<std::string> digest;  // the reviewed plan's digest
  std::optional<Plan> plan;           // or the whole reviewed plan
};
// Throws PlanRefused listing what differs (or what --strict refuses); nothing when all hold.
void check_plan(const Plan& plan, const PlanExpectations& expect);

}  // namespace tunectl
