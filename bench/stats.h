// Statistics for benchmark samples: percentiles, the median ratio with a bootstrap CI, the
// two-sided Mann–Whitney U test, Holm's correction across metrics, and the verdict rules.
// Pure functions over numbers; no I/O. Every random choice uses a fixed seed (reproducible).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tunectl::bench::stats {

constexpr int kBootstrapResamples = 4000;
constexpr uint64_t kBootstrapSeed = 0x74756e65637466ULL;  // "tunectf": any fixed value will do
constexpr double kAlpha = 0.05;
// Exact U distribution up to this many samples per side (no ties); normal approximation beyond.
constexpr size_t kExactMaxN = 25;

// Linear interpolation between closest ranks (Hyndman–Fan type 7, numpy's default); p in [0,100].
// NaN for an empty sample.
double percentile_sorted(const std::vector<double>& sorted, double p);
double percentile(std::vector<double> xs, double p);
double median(std::vector<double> xs);

struct Interval {
  double lo = 0, hi = 0;
};

// Percentile bootstrap 95% CI of the median.
Interval bootstrap_median_ci(const std::vector<double>& xs, int resamples = kBootstrapResamples,
                             uint64_t seed = kBootstrapSeed);

// median(b) / median(a) with a percentile bootstrap 95% CI (the two samples resampled
// independently). nullopt when median(a) is 0 (the ratio is undefined).
struct Ratio {
  double ratio = 1;
  Interval ci95;
};
std::optional<Ratio> median_ratio(const std::vector<double>& a, const std::vector<double>& b,
                                  int resamples = kBootstrapResamples, uint64_t seed = kBootstrapSeed);

// Two-sided Mann–Whitney U. U counts pairs with b > a (ties count 1/2). Exact permutation
// distribution for small samples without ties; otherwise the normal approximation with the tie
// correction of the variance and a continuity correction. `allow_exact` = false forces the latter.
struct MannWhitney {
  double u = 0;
  double p = 1;
  bool exact = false;
};
MannWhitney mann_whitney(const std::vector<double>& a, const std::vector<double>& b, bool allow_exact = true);

// Holm–Bonferroni adjusted p-values (step-down): significant at family-wise level alpha exactly
// when adjusted <= alpha.
std::vector<double> holm_adjusted(const std::vector<double>& p);

// The fewest runs per side (equal sides, no ties) whose most extreme outcome reaches a two-sided
// exact p <= alpha: below it no amount of separation can be significant (3 vs 3: p >= 0.1).
size_t min_runs_for(double alpha);
// The smallest two-sided exact p any outcome of n_a vs n_b runs can give (full separation):
// 2 / C(n_a + n_b, n_a). 1 when a side is empty.
double best_p(size_t n_a, size_t n_b);

// A number with three significant digits ("0.0167", "12.3"), for reasons and messages.
std::string three_significant(double v);

enum class Verdict { improved, regressed, no_change, inconclusive };
std::string verdict_name(Verdict v);  // "improved", "regressed", "no change", "inconclusive"

// Estimates for one metric, A (baseline) against B (candidate).
struct SampleComparison {
  std::optional<Ratio> ratio;  // nullopt when the baseline median is 0
  MannWhitney test;
  double median_a = 0, median_b = 0;
  size_t n_a = 0, n_b = 0;
  bool identical = false;  // every value in both samples is the same number
  // Which way the rank test leans: +1 when B tends to be larger (U above its mean n_a*n_b/2),
  // -1 when smaller, 0 when exactly balanced.
  int rank_direction = 0;
};
SampleComparison compare_samples(const std::vector<double>& a, const std::vector<double>& b);

// What the verdict rules need besides the samples.
struct DecisionContext {
  bool significant = false;  // the U test passed after the multiple-testing correction
  bool higher_is_better = false;
  double noise = 0.05;       // the no-change band, a fraction (0.05 = ±5%)
  // The raw p the most significant metric must reach: Holm's first step, alpha / metrics.
  double first_step_alpha = kAlpha;
};

// The verdict rules, in order:
//   inconclusive when a side has no data, or too few runs for any outcome to reach
//     ctx.first_step_alpha (more_runs_needed: the runs per side still missing) — never "no change" on
//     too little data;
//   no change when every value in both samples is the same number;
//   improved / regressed: significant, the CI excludes 1, the ratio is beyond the noise band, and
//     the ratio of medians and the rank test point the same way (when they disagree, inconclusive
//     and why); direction from higher_is_better;
//   no change: the whole CI lies inside 1 ± noise (a real but smaller change counts as none);
//   inconclusive: anything else; more_runs_needed estimates the runs per condition still needed,
//     scaling the CI half-width by 1/sqrt(n) (taking the observed ratio at face value), or is
//     nullopt when that would exceed 10000 runs.
struct Decision {
  Verdict verdict = Verdict::inconclusive;
  std::optional<int> more_runs_needed;
  std::string why;
};
Decision decide(const SampleComparison& c, const DecisionContext& ctx);

}  // namespace tunectl::bench::stats
