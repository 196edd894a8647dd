// Comparison of two benchmark results (A = baseline, B = candidate), metric by metric: the ratio
// of medians with its bootstrap 95% CI, the Mann–Whitney p-value (raw, and Holm-adjusted across
// the metrics of the comparison), the noise threshold used, and the verdict (stats::decide).
#pragma once
#include "core/json.h"
#include "bench/calibration.h"

namespace tunectl::bench {

constexpr const char* kCompareSchema = "tunectl.bench.compare/1";
// Above this share of disturbed runs on either side, every verdict (no change included) becomes
// inconclusive: a busy host measured its own contention.
constexpr double kMaxDisturbedShare = 0.25;

struct CompareOptions {
  // Compare even when too few runs were made for any difference to be significant after Holm's
  // correction; every verdict is then inconclusive and the JSON says "underpowered": true.
  bool allow_underpowered = false;
};

// Throws InputError when the inputs are not results of the same benchmark, one is unavailable, or
// (without allow_underpowered) the runs per side are too few for any verdict: the message names
// the --reps needed. An underpowered comparison must not pass for a clean one.
json compare_results(const json& a, const json& b, const NoiseTable& noise, const CompareOptions& options = {});

}  // namespace tunectl::bench
