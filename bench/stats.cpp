#include "bench/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

namespace tunectl::bench::stats {

double percentile_sorted(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double h = (sorted.size() - 1) * std::clamp(p, 0.0, 100.0) / 100.0;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

double percentile(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  return percentile_sorted(xs, p);
}

double median(std::vector<double> xs) { return percentile(std::move(xs), 50); }

namespace {

// Median of `n` draws with replacement from xs, using `buf` as scratch.
double resampled_median(const std::vector<double>& xs, std::mt19937_64& rng, std::vector<double>& buf) {
  std::uniform_int_distribution<size_t> pick(0, xs.size() - 1);
  buf.resize(xs.size());
  for (auto& v : buf) v = xs[pick(rng)];
  const size_t mid = buf.size() / 2;
  std::nth_element(buf.begin(), buf.begin() + mid, buf.end());
  double m = buf[mid];
  if (buf.size() % 2 == 0) m = (m + *std::max_element(buf.begin(), buf.begin() + mid)) / 2;
  return m;
}

Interval central95(std::vector<double> draws) {
  std::sort(draws.begin(), draws.end());
  return {percentile_sorted(draws, 2.5), percentile_sorted(draws, 97.5)};
}

}  // namespace

Interval bootstrap_median_ci(const std::vector<double>& xs, int resamples, uint64_t seed) {
  if (xs.empty()) return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  std::mt19937_64 rng(seed);
  std::vector<double> buf, draws(resamples);
  for (auto& d : draws) d = resampled_median(xs, rng, buf);
  return central95(std::move(draws));
}

std::optional<Ratio> median_ratio(const std::vector<double>& a, const std::vector<double>& b, int resamples,
                                  uint64_t seed) {
  if (a.empty() || b.empty()) return std::nullopt;
  const double ma = median(a);
  if (ma == 0) return std::nullopt;
  std::mt19937_64 rng(seed);
  std::vector<double> buf, draws;
  draws.reserve(resamples);
  for (int i = 0; i < resamples; ++i) {
    const double ra = resampled_median(a, rng, buf);
    const double rb = resampled_median(b, rng, buf);
    // A resampled baseline median of 0 has no ratio; such draws say "unbounded".
    draws.push_back(ra != 0 ? rb / ra : std::copysign(std::numeric_limits<double>::infinity(), rb));
  }
  return Ratio{median(b) / ma, central95(std::move(draws))};
}

namespace {

// Number of arrangements of n1 a's and n2 b's giving each U = 0..n1*n2 (pairs with b > a).
// Recurrence on the largest element: it is an a (adds nothing) or a b (beats all i a's).
// Counts stay exact in doubles: C(50, 25) < 2^53.
std::vector<double> u_counts(size_t n1, size_t n2) {
  // f[i][j] = distribution for i a's and j b's; built row by row.
  std::vector<std::vector<std::vector<double>>> f(n1 + 1, std::vector<std::vector<double>>(n2 + 1));
  for (size_t i = 0; i <= n1; ++i) {
    for (size_t j = 0; j <= n2; ++j) {
      auto& d = f[i][j];
      d.assign(i * j + 1, 0.0);
      if (i == 0 || j == 0) {
        d[0] = 1;
        continue;
      }
      const auto& last_a = f[i - 1][j];
      const auto& last_b = f[i][j - 1];
      for (size_t u = 0; u < last_a.size(); ++u) d[u] += last_a[u];
      for (size_t u = 0; u < last_b.size(); ++u) d[u + i] += last_b[u];
    }
  }
  return f[n1][n2];
}

// Midranks (1-based) of the pooled sample, plus the tie term sum(t^3 - t).
std::vector<double> midranks(const std::vector<double>& pooled, double& tie_term) {
  std::vector<size_t> order(pooled.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return pooled[x] < pooled[y]; });
  std::vector<double> rank(pooled.size());
  tie_term = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && pooled[order[j + 1]] == pooled[order[i]]) ++j;
    const double r = (i + j) / 2.0 + 1;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = r;
    const double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    i = j + 1;
  }
  return rank;
}

}  // namespace

MannWhitney mann_whitney(const std::vector<double>& a, const std::vector<double>& b, bool allow_exact) {
  MannWhitney r;
  const double n1 = a.size(), n2 = b.size(), n = n1 + n2;
  if (a.empty() || b.empty()) return r;
  std::vector<double> pooled(a);
  pooled.insert(pooled.end(), b.begin(), b.end());
  double tie_term = 0;
  const auto rank = midranks(pooled, tie_term);
  const double rank_sum_b = std::accumulate(rank.begin() + a.size(), rank.end(), 0.0);
  r.u = rank_sum_b - n2 * (n2 + 1) / 2;

  if (allow_exact && tie_term == 0 && a.size() <= kExactMaxN && b.size() <= kExactMaxN) {
    const auto counts = u_counts(a.size(), b.size());
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    const size_t u = static_cast<size_t>(std::llround(r.u));
    const double le = std::accumulate(counts.begin(), counts.begin() + u + 1, 0.0);
    const double ge = std::accumulate(counts.begin() + u, counts.end(), 0.0);
    r.p = std::min(1.0, 2 * std::min(le, ge) / total);
    r.exact = true;
    return r;
  }
  const double mean = n1 * n2 / 2;
  const double var = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (var <= 0) return r;  // every value tied: no evidence of a difference, p = 1
  const double z = std::max(0.0, std::fabs(r.u - mean) - 0.5) / std::sqrt(var);
  r.p = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return r;
}

std::vector<double> holm_adjusted(const std::vector<double>& p) {
  std::vector<size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  std::vector<double> adj(p.size());
  double running = 0;  // adjusted values never decrease along the sorted order
  for (size_t k = 0; k < order.size(); ++k) {
    running = std::max(running, std::min(1.0, (p.size() - k) * p[order[k]]));
    adj[order[k]] = running;
  }
  return adj;
}

size_t min_runs_for(double alpha) {
  for (size_t n = 1; n < 64; ++n)
    if (best_p(n, n) <= alpha) return n;
  return 64;
}

double best_p(size_t n_a, size_t n_b) {
  if (n_a == 0 || n_b == 0) return 1;
  // C(n_a + n_b, n_a) built as a product of ratios; doubles are exact far beyond what matters here.
  double arrangements = 1;
  for (size_t k = 1; k <= n_a; ++k) arrangements = arrangements * static_cast<double>(n_b + k) / static_cast<double>(k);
  return std::min(1.0, 2 / arrangements);
}

std::string verdict_name(Verdict v) {
  switch (v) {
    case Verdict::improved: return "improved";
    case Verdict::regressed: return "regressed";
    case Verdict::no_change: return "no change";
    case Verdict::inconclusive: return "inconclusive";
  }
  return "inconclusive";
}

SampleComparison compare_samples(const std::vector<double>& a, const std::vector<double>& b) {
  SampleComparison c;
  c.n_a = a.size();
  c.n_b = b.size();
  if (a.empty() || b.empty()) return c;
  c.median_a = median(a);
  c.median_b = median(b);
  c.ratio = median_ratio(a, b);
  c.test = mann_whitney(a, b);
  const double u_mean = static_cast<double>(c.n_a) * static_cast<double>(c.n_b) / 2;
  c.rank_direction = c.test.u > u_mean ? 1 : c.test.u < u_mean ? -1 : 0;
  const double first = a.front();
  auto same = [first](double v) { return v == first; };
  c.identical = std::all_of(a.begin(), a.end(), same) && std::all_of(b.begin(), b.end(), same);
  return c;
}

namespace {

constexpr int kMaxRunsEstimate = 10000;  // beyond this the answer is "not with this benchmark"

// Runs per condition still needed so the CI half-width shrinks to `target` (half-width ~ 1/sqrt(n)).
std::optional<int> runs_for_half_width(size_t n, double half_width, double target) {
  if (n == 0 || target <= 0 || !std::isfinite(half_width)) return std::nullopt;
  const double needed = std::ceil(n * (half_width / target) * (half_width / target));
  if (needed > kMaxRunsEstimate) return std::nullopt;
  return std::max(1, static_cast<int>(needed) - static_cast<int>(n));
}

}  // namespace

std::string three_significant(double v) {
  std::ostringstream s;
  s.precision(3);
  s << v;
  return s.str();
}

Decision decide(const SampleComparison& c, const DecisionContext& ctx) {
  Decision d;
  if (c.n_a == 0 || c.n_b == 0) {
    d.why = "no data: a side has no run that produced this metric";
    return d;
  }
  if (best_p(c.n_a, c.n_b) > ctx.first_step_alpha) {
    // No outcome of this many runs could be significant, so the data cannot say "no change" either.
    const size_t needed = min_runs_for(ctx.first_step_alpha);
    // The shorter side is below `needed` here (best_p only falls as either side grows).
    d.more_runs_needed = static_cast<int>(needed - std::min(c.n_a, c.n_b));
    d.why = "too few runs (" + std::to_string(c.n_a) + " vs " + std::to_string(c.n_b) + "): at least " +
            std::to_string(needed) + " per side are needed before any difference can reach p <= " +
            three_significant(ctx.first_step_alpha);
    return d;
  }
  if (c.identical) {
    d.verdict = Verdict::no_change;
    d.why = "every run gave the same value";
    return d;
  }
  const auto better = [&](bool b_larger) {
    return b_larger == ctx.higher_is_better ? Verdict::improved : Verdict::regressed;
  };
  if (!c.ratio) {
    // Baseline median 0 (a count such as time_wait_left): no ratio, only the U test's direction,
    // which must agree with the medians'.
    const int median_direction = c.median_b > c.median_a ? 1 : c.median_b < c.median_a ? -1 : 0;
    if (ctx.significant && median_direction != 0 && median_direction == c.rank_direction) {
      d.verdict = better(median_direction > 0);
      d.why = "baseline median is 0; significant shift of the median";
    } else if (ctx.significant && median_direction != 0) {
      d.why = "baseline median is 0; the medians and the rank test point in opposite directions";
    } else {
      d.why = "baseline median is 0 and the difference is not significant";
    }
    return d;
  }
  const double r = c.ratio->ratio, lo = c.ratio->ci95.lo, hi = c.ratio->ci95.hi;
  const bool ci_excludes_one = lo > 1 || hi < 1;
  if (ctx.significant && ci_excludes_one && std::fabs(r - 1) > ctx.noise) {
    const int ratio_direction = r > 1 ? 1 : -1;
    if (ratio_direction != c.rank_direction) {
      d.why = std::string("the ratio of medians says B is ") + (r > 1 ? "larger" : "smaller") +
              " but the rank test says B tends to be " + (r > 1 ? "smaller" : "larger") +
              ": the distributions differ in shape, not simply in level";
      return d;
    }
    d.verdict = better(r > 1);
    d.why = "significant, CI excludes 1, beyond the noise threshold, rank test agrees";
    return d;
  }
  if (lo >= 1 - ctx.noise && hi <= 1 + ctx.noise) {
    d.verdict = Verdict::no_change;
    d.why = "CI inside the noise band";
    return d;
  }
  // Inconclusive: to say "no change" the CI must fit inside the band around r (resolved to at
  // least a quarter of the band, so a ratio near the edge still gets a finite answer); to say
  // "improved/regressed" it must clear 1.
  const double dist = std::fabs(r - 1);
  const double target = dist < ctx.noise ? std::max(ctx.noise - dist, ctx.noise / 4) : dist;
  d.more_runs_needed = runs_for_half_width(std::min(c.n_a, c.n_b), (hi - lo) / 2, target);
  d.why = d.more_runs_needed ? "CI too wide for a verdict" : "CI too wide for a verdict with any practical number of runs";
  return d;
}

}  // namespace tunectl::bench::stats
