// Whether an audit passed: the profile's verify.bench expectations checked against the
// comparisons, and every regression anywhere. Pure: JSON in, JSON out, so it is tested on
// synthetic comparisons.
//
//   improved      met when the metric's verdict is `improved` and, with min_effect, the CI's
//                 least favourable end still improves by min_effect (0.1 = 10%): the data, not
//                 the point estimate, must show the effect. Anything else — no change,
//                 inconclusive, no data — is "not shown" and fails.
//   no-regression met unless the metric (or, with no metric named, any metric of that
//                 benchmark) regressed; a benchmark that could not run cannot show it: fails.
//   not checkable the benchmark sees only settings this host could not take (BenchChoice::
//                 cannot_see): met is null, the audit is neither failed nor credited for it.
// Any metric that regressed, expected or not, fails the audit — except in a benchmark whose two
// sides ran with different options (cpu.max measured by cpu_quota with its before and after
// values): there the change is the setting itself (a lower quota gives less CPU by design), so
// only an expectation judges it.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"

namespace tunectl {

struct BenchOutcome {
  std::string bench;
  std::vector<std::string> because;  // "verify.bench[i]" ties an expectation to its run
  std::string unavailable;           // why it did not run ("" when it ran)
  json comparison;                   // tunectl.bench.compare/1, null when it did not run
  bool measures_setting = false;     // A and B ran with different options (see above)
  std::string cannot_see;            // not run: it cannot see the plan on this host (BenchChoice)
};

struct AuditVerdict {
  json expectations = json::array();  // one row each: the expectation, verdict, ratio, CI, met, reason
  json regressions = json::array();   // {bench, metric, ratio, ci95, why}
  bool passed = false;
  std::vector<std::string> reasons;  // why it failed, one line each (empty when passed)
  // Expectations this host cannot check (met: null), one line each: their benchmark sees only
  // settings the host could not take. They neither pass nor fail the audit; the report says so.
  std::vector<std::string> unchecked;
};

// `expectations`: the canonical verify.bench list.
AuditVerdict judge(const json& expectations, const std::vector<BenchOutcome>& outcomes);

// The improvement a ratio of B/A means for a metric: ratio - 1 when higher is better, 1 - ratio
// when lower is better (0.25 = 25% better; negative = worse).
double improvement(double ratio, bool higher_is_better);

}  // namespace tunectl
