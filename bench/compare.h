// Comparison of two benchmark results (A = baseline, B = candidate), metric by metric: the ratio
// of medians with its bootstrap 95% CI, the Mann–Whitney p-value (raw, and Holm-adjusted across
// the metrics of the comparison), the noise threshold used, and the verdict (stats::decide).
#pragma once
#include "core/json.h"
#include "bench/calibration.h"

namespace tunectl::bench {

constexpr const char* kCompareSchema = "tunectl.bench.compare/1";
// Above this share of disturbed runs on either side, improved/regressed become inconclusive.
constexpr double kMaxDisturbedShare = 0.25;

// Throws InputError when the inputs are not results of the same benchmark, or one is unavailable.
json compare_results(const json& a, const json& b, const NoiseTable& noise);

}  // namespace tunectl::bench
