// The statistics against known answers: exact percentiles, tabulated Mann–Whitney p-values,
// bootstrap coverage on a known distribution, Holm's procedure, and the verdict rules.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "bench/stats.h"

namespace tunectl::bench::stats {
namespace {

std::vector<double> range(double from, double to) {
  std::vector<double> v;
  for (double x = from; x <= to; ++x) v.push_back(x);
  return v;
}

// Samples a (n1) and b (n2) without ties whose U (pairs with b > a) is exactly `u`.
std::pair<std::vector<double>, std::vector<double>> with_u(size_t n1, size_t n2, size_t u) {
  std::vector<double> a, b;
  for (size_t j = 0; j < n2; ++j) b.push_back(10.0 * (j + 1));
  // Each a placed just above k of the b's removes k pairs from the maximum n1*n2.
  size_t remove = n1 * n2 - u;
  for (size_t i = 0; i < n1; ++i) {
    const size_t k = std::min(remove, n2);
    remove -= k;
    a.push_back(10.0 * k + 5 + i * 0.01);
  }
  return {a, b};
}

std::vector<double> normal(size_t n, double mean, double sd, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(mean, sd);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(Percentile, LinearInterpolationBetweenClosestRanks) {
  EXPECT_DOUBLE_EQ(percentile(range(1, 10), 50), 5.5);
  EXPECT_DOUBLE_EQ(percentile(range(1, 10), 0), 1);
  EXPECT_DOUBLE_EQ(percentile(range(1, 10), 100), 10);
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 25), 1.75);
  EXPECT_DOUBLE_EQ(percentile(range(1, 11), 90), 10);
  EXPECT_DOUBLE_EQ(percentile(range(0, 1000), 99.9), 999);
  EXPECT_DOUBLE_EQ(percentile(range(1, 100), 99), 99.01);
  EXPECT_DOUBLE_EQ(median({5, 1, 3}), 3);
  EXPECT_TRUE(std::isnan(median({})));
}

TEST(MannWhitney, ExactFullySeparatedMatchesTables) {
  auto [a5, b5] = with_u(5, 5, 25);
  auto r = mann_whitney(a5, b5);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 25);
  EXPECT_NEAR(r.p, 2.0 / 252, 1e-12);  // 1/C(10,5) each tail
  EXPECT_NEAR(mann_whitney(b5, a5).p, 2.0 / 252, 1e-12);
  auto [a4, b4] = with_u(4, 4, 0);
  EXPECT_NEAR(mann_whitney(a4, b4).p, 2.0 / 70, 1e-12);
  auto [a3, b4b] = with_u(3, 4, 12);
  EXPECT_NEAR(mann_whitney(a3, b4b).p, 2.0 / 35, 1e-12);
}

TEST(MannWhitney, ExactSmallUMatchesHandCounts) {
  // n1 = n2 = 5: arrangements with U <= 2 are 1 + 1 + 2 = 4; with U <= 3, 7 (of 252).
  auto [a, b] = with_u(5, 5, 2);
  EXPECT_NEAR(mann_whitney(a, b).p, 8.0 / 252, 1e-12);
  auto [c, d] = with_u(5, 5, 3);
  EXPECT_NEAR(mann_whitney(c, d).p, 14.0 / 252, 1e-12);
  auto [e, f] = with_u(5, 5, 12);  // near the centre: p = 1 after capping
  EXPECT_GT(mann_whitney(e, f).p, 0.8);
}

TEST(MannWhitney, CriticalValuesFromStandardTables) {
  // Two-tailed alpha = 0.05 critical values of U for n1 = n2 = n (e.g. Zar, Table B.11).
  const std::vector<std::pair<size_t, size_t>> crit = {{6, 5}, {7, 8}, {8, 13}, {10, 23}, {20, 127}};
  for (auto [n, u] : crit) {
    auto [a, b] = with_u(n, n, u);
    auto [c, d] = with_u(n, n, u + 1);
    EXPECT_LE(mann_whitney(a, b).p, 0.05) << "n=" << n;
    EXPECT_GT(mann_whitney(c, d).p, 0.05) << "n=" << n;
  }
}

TEST(MannWhitney, NormalApproximationAgreesWithExactForModerateN) {
  auto [a, b] = with_u(20, 20, 127);
  const auto exact = mann_whitney(a, b);
  const auto approx = mann_whitney(a, b, false);
  EXPECT_TRUE(exact.exact);
  EXPECT_FALSE(approx.exact);
  EXPECT_NEAR(approx.p, exact.p, 0.005);
}

TEST(MannWhitney, TiesUseTieCorrectedNormalApproximation) {
  // Midranks 1, 2, 3.5, 5.5, 7.5 | 3.5, 5.5, 7.5, 9, 10: U = 20.5, var = 25/12 * (11 - 18/90)
  // = 22.5, z = (8 - 0.5) / sqrt(22.5), p = erfc(z / sqrt 2) = 0.11385 (R: W = 4.5, p = 0.1138).
  const auto r = mann_whitney({1, 2, 3, 4, 5}, {3, 4, 5, 6, 7});
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 20.5);
  EXPECT_NEAR(r.p, 0.113846, 1e-5);
  EXPECT_DOUBLE_EQ(mann_whitney({3, 3, 3}, {3, 3, 3}).p, 1);
}

TEST(Bootstrap, CiContainsTrueRatioAndIsReproducible) {
  const auto a = normal(20, 100, 5, 1), b = normal(20, 130, 6.5, 2);
  const auto r = median_ratio(a, b);
  ASSERT_TRUE(r);
  EXPECT_LT(r->ci95.lo, 1.3);
  EXPECT_GT(r->ci95.hi, 1.3);
  const auto again = median_ratio(a, b);
  EXPECT_EQ(r->ci95.lo, again->ci95.lo);
  EXPECT_EQ(r->ci95.hi, again->ci95.hi);
  EXPECT_FALSE(median_ratio({0, 0, 0}, {1, 2, 3}));
}

TEST(Bootstrap, CoverageOfTheMedianRatioOnAKnownDistribution) {
  // 200 independent data sets with a true median ratio of 1.3. The percentile bootstrap of a
  // median under-covers a little at n = 20; 95% nominal should still cover > 85% of the time.
  int covered = 0;
  const int trials = 200;
  for (int t = 0; t < trials; ++t) {
    const auto a = normal(20, 100, 10, 1000 + t), b = normal(20, 130, 13, 5000 + t);
    const auto r = median_ratio(a, b, 1000);
    if (r->ci95.lo <= 1.3 && 1.3 <= r->ci95.hi) ++covered;
  }
  EXPECT_GT(covered, 0.85 * trials);
  EXPECT_LT(covered, trials);  // a CI that always covers is too wide to be useful
}

TEST(Holm, AdjustedPValuesStepDown) {
  // Sorted 0.01, 0.03, 0.04 -> 3*0.01, max(0.03, 2*0.03), max(0.06, 1*0.04).
  const auto adj = holm_adjusted({0.01, 0.04, 0.03});
  EXPECT_NEAR(adj[0], 0.03, 1e-12);
  EXPECT_NEAR(adj[1], 0.06, 1e-12);
  EXPECT_NEAR(adj[2], 0.06, 1e-12);
  EXPECT_EQ(holm_adjusted({0.5, 0.9}), (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(holm_adjusted({0.02}), (std::vector<double>{0.02}));
}

TEST(MannWhitney, MinimumRunsForSignificance) {
  EXPECT_EQ(min_runs_for(0.05), 4u);   // 3 vs 3: 2/20 = 0.1; 4 vs 4: 2/70 = 0.029
  EXPECT_EQ(min_runs_for(0.01), 5u);   // 2/252 = 0.0079
  EXPECT_EQ(min_runs_for(0.001), 7u);  // 6 vs 6: 2/924 = 0.0022; 7 vs 7: 2/3432 = 0.00058
}

TEST(MannWhitney, BestPossiblePForUnequalSides) {
  EXPECT_NEAR(best_p(4, 4), 2.0 / 70, 1e-12);
  EXPECT_NEAR(best_p(3, 4), 2.0 / 35, 1e-12);
  EXPECT_NEAR(best_p(1, 1), 1.0, 1e-12);  // 2 / C(2,1) = 1
  EXPECT_DOUBLE_EQ(best_p(0, 9), 1.0);
  EXPECT_NEAR(best_p(10, 10), 2.0 / 184756, 1e-15);
}

// One metric (no correction): significance is the raw p against alpha.
Decision judge(const std::vector<double>& a, const std::vector<double>& b, bool higher, double noise = 0.05) {
  const auto c = compare_samples(a, b);
  return decide(c, {c.test.p <= kAlpha, higher, noise, kAlpha});
}

TEST(Verdict, IdenticalSetsAreNoChange) {
  const std::vector<double> a = {100, 101, 99, 100.5, 99.5, 100, 100.2, 99.8};
  EXPECT_EQ(judge(a, a, true).verdict, Verdict::no_change);
  EXPECT_EQ(judge({5, 5, 5, 5}, {5, 5, 5, 5}, false).verdict, Verdict::no_change);
}

// Issue counterexample 1: one run each, 100 vs 101, used to say "no change" with CI [1.01, 1.01].
TEST(Verdict, OneRunEachIsNeverNoChange) {
  const auto d = judge({100}, {101}, true);
  EXPECT_EQ(d.verdict, Verdict::inconclusive);
  ASSERT_TRUE(d.more_runs_needed);
  EXPECT_EQ(*d.more_runs_needed, 3);  // 4 per side are needed at alpha 0.05
  EXPECT_NE(d.why.find("too few runs (1 vs 1)"), std::string::npos) << d.why;
  // Identical values are no evidence either when there are too few of them.
  EXPECT_EQ(judge({5, 5, 5}, {5, 5, 5}, false).verdict, Verdict::inconclusive);
}

// A true +7% shift under 2% noise, simulated 300 times at every run count too small for a verdict:
// "no change" must never come out (it did 79 times in 300 at n = 1).
TEST(Verdict, SimulatedRealShiftIsNeverCalledNoChangeWithTooFewRuns) {
  std::mt19937_64 rng(2026);
  std::normal_distribution<double> noise(0, 0.02);
  for (size_t n = 1; n < min_runs_for(kAlpha); ++n) {
    int no_change = 0;
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<double> a(n), b(n);
      for (auto& x : a) x = 100 * (1 + noise(rng));
      for (auto& x : b) x = 107 * (1 + noise(rng));
      no_change += judge(a, b, true).verdict == Verdict::no_change;
    }
    EXPECT_EQ(no_change, 0) << "n = " << n;
  }
}

// Issue counterexample 2: B = 120 x [11] + 80 x [0] against A = 120 x [10] + 80 x [1000]. The
// median ratio says +10% but the rank test says B is stochastically smaller (p ~ 5e-7).
TEST(Verdict, RatioAndRankTestDisagreeingIsInconclusive) {
  std::vector<double> a(120, 10.0), b(120, 11.0);
  a.insert(a.end(), 80, 1000.0);
  b.insert(b.end(), 80, 0.0);
  const auto c = compare_samples(a, b);
  ASSERT_TRUE(c.ratio);
  EXPECT_NEAR(c.ratio->ratio, 1.1, 1e-12);
  EXPECT_GT(c.ratio->ci95.lo, 1.0);  // the ratio alone looks decisive
  EXPECT_LT(c.test.p, 1e-5);
  EXPECT_EQ(c.rank_direction, -1);
  const auto d = decide(c, {true, true, 0.05, kAlpha});
  EXPECT_EQ(d.verdict, Verdict::inconclusive);
  EXPECT_NE(d.why.find("rank test says B tends to be smaller"), std::string::npos) << d.why;
  // Agreeing directions still give a verdict: B = A + 10% everywhere.
  std::vector<double> up;
  for (double x : a) up.push_back(1.1 * x + 0.5);
  const auto agree = compare_samples(a, up);
  EXPECT_EQ(agree.rank_direction, 1);
  EXPECT_EQ(decide(agree, {true, true, 0.05, kAlpha}).verdict, Verdict::improved);
}

TEST(Verdict, ZeroBaselineNeedsTheRankTestToAgreeWithTheMedians) {
  // Medians 0 -> 5 (B larger) while most of B's mass is below A's: the rank test says smaller.
  std::vector<double> a(6, 0.0), b = {-50, -40, -30, 5, 5, 5, 5};
  a.insert(a.end(), {100, 100, 100, 100, 100});
  const auto c = compare_samples(a, b);
  ASSERT_FALSE(c.ratio);
  ASSERT_GT(c.median_b, c.median_a);
  ASSERT_EQ(c.rank_direction, -1);
  EXPECT_EQ(decide(c, {true, false, 0.05, kAlpha}).verdict, Verdict::inconclusive);
}

TEST(Verdict, TooFewRunsForTheCorrectedLevelIsInconclusiveEvenWhenFullySeparated) {
  // 4 vs 4 fully separated: p = 2/70 = 0.029 passes alpha 0.05 alone, never Holm's 0.01 for 5 metrics.
  const std::vector<double> a = {100, 101, 102, 103}, b = {200, 201, 202, 203};
  const auto c = compare_samples(a, b);
  EXPECT_EQ(decide(c, {true, false, 0.05, kAlpha}).verdict, Verdict::regressed);
  const auto d = decide(c, {false, false, 0.05, kAlpha / 5});
  EXPECT_EQ(d.verdict, Verdict::inconclusive);
  EXPECT_EQ(d.more_runs_needed, 1);  // 5 per side reach 2/252 < 0.01
}

TEST(Verdict, ThirtyPercentShiftWithLowNoiseIsDetectedInTheRightDirection) {
  const auto a = normal(8, 100, 1, 11), up = normal(8, 130, 1.3, 12), down = normal(8, 70, 0.7, 13);
  EXPECT_EQ(judge(a, up, true).verdict, Verdict::improved);
  EXPECT_EQ(judge(a, up, false).verdict, Verdict::regressed);
  EXPECT_EQ(judge(a, down, true).verdict, Verdict::regressed);
  EXPECT_EQ(judge(a, down, false).verdict, Verdict::improved);
}

TEST(Verdict, HeavyNoiseIsInconclusiveAndSaysHowManyMoreRuns) {
  std::mt19937_64 rng(21);
  std::lognormal_distribution<double> noisy(std::log(100.0), 0.5);
  std::vector<double> a(8), b(8);
  for (auto& x : a) x = noisy(rng);
  for (auto& x : b) x = 1.1 * noisy(rng);
  const auto d = judge(a, b, true);
  EXPECT_EQ(d.verdict, Verdict::inconclusive);
  ASSERT_TRUE(d.more_runs_needed);
  EXPECT_GE(*d.more_runs_needed, 1);
}

TEST(Verdict, SignificantButInsideTheNoiseBandIsNoChange) {
  const auto a = normal(10, 100, 0.1, 31), b = normal(10, 102, 0.1, 32);
  const auto c = compare_samples(a, b);
  EXPECT_LT(c.test.p, 0.001);
  EXPECT_EQ(decide(c, {true, true, 0.05, kAlpha}).verdict, Verdict::no_change);
  EXPECT_EQ(decide(c, {true, true, 0.01, kAlpha}).verdict, Verdict::improved);  // a 1% band would call it
}

TEST(Verdict, NotSignificantIsNeverImprovedOrRegressed) {
  const auto a = normal(8, 100, 1, 41), b = normal(8, 130, 1.3, 42);
  EXPECT_EQ(decide(compare_samples(a, b), {false, true, 0.05, kAlpha}).verdict, Verdict::inconclusive);
}

TEST(Verdict, ZeroBaselineUsesTheTestAndDirectionOnly) {
  const std::vector<double> zeros(6, 0.0), many = {200, 210, 190, 205, 199, 201};
  EXPECT_EQ(judge(zeros, many, false).verdict, Verdict::regressed);
  EXPECT_EQ(judge(zeros, many, true).verdict, Verdict::improved);
  EXPECT_EQ(judge(zeros, {0, 0, 1, 0, 0, 0}, false).verdict, Verdict::inconclusive);
}

TEST(Verdict, MoreRunsEstimateGrowsWithSpread) {
  // The same 2% shift (b = 1.02 a, so the ratio is exactly 1.02) at two spreads.
  std::mt19937_64 rng(7);
  std::normal_distribution<double> unit(0, 1);
  std::vector<double> na(8), nb(8), wa(8), wb(8);
  for (size_t i = 0; i < 8; ++i) {
    const double x = unit(rng);
    na[i] = 100 + 2 * x, wa[i] = 100 + 6 * x;
    nb[i] = 1.02 * na[i], wb[i] = 1.02 * wa[i];
  }
  const auto narrow = judge(na, nb, true), wide = judge(wa, wb, true);
  ASSERT_EQ(wide.verdict, Verdict::inconclusive);
  ASSERT_TRUE(wide.more_runs_needed);
  const int narrow_runs = narrow.verdict == Verdict::inconclusive ? narrow.more_runs_needed.value() : 0;
  EXPECT_GT(*wide.more_runs_needed, narrow_runs);
}

}  // namespace
}  // namespace tunectl::bench::stats
