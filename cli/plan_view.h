// How a Plan reads in a terminal. `plan`, apply's confirmation and `apply --dry-run` all print it
// through here, so they show the same text; every Change/Plan printer lives in this one file.
#pragma once
#include <ostream>
#include <vector>

#include "tuner/plan/plan.h"

namespace tunectl::cli {

// The whole plan: changes in apply order, already as desired, not settable, IRQ placement,
// exclusions and notes.
void print_plan(std::ostream& out, const Plan& plan);

// The knobs a transaction left alone: skipped ones with their reasons, and a count of those
// already as desired (apply prints these under its result).
void print_side_lists(std::ostream& out, const std::vector<Change>& skipped, size_t already);
// The plan's warnings (tuner/plan/plan.h), under a heading; nothing when there are none.
void print_warning_lines(std::ostream& out, const std::vector<std::string>& warnings);

}  // namespace tunectl::cli
