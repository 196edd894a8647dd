// The profile's "verify" section: whether `verify` checks effects, and the benchmark expectations
// an audit (audit/audit.h) turns into pass or fail. Every benchmark, option and metric named is
// checked against the benchmark registry when the profile loads: a misspelt name is a profile
// error (exit 2), not a silently skipped check.
//
//   "verify": {"effects": true,
//              "bench": [{"bench": "tcp_crr", "options": {"linger": 1}, "metric": "time_wait_left",
//                         "expect": "improved", "min_effect": 0.5, "why": "..."}]}
//
// expect: "improved" (the metric's verdict must be improved, by at least min_effect when given)
// or "no-regression" (no metric named, or the one named, may regress). "suite" is accepted as an
// older spelling of "bench".
#pragma once
#include <string>

#include "core/json.h"

namespace tunectl {

// The canonical section: {"effects": bool, "bench": [{"bench", "options" (strings), "expect",
// "metric"?, "min_effect"?, "why"?}]}. Throws JsonError naming the pointer below `at`.
json canonical_verify(const json& v, const std::string& at);

}  // namespace tunectl
