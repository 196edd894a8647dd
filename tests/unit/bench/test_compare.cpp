// Comparing two results and the A/A calibration, on synthetic result documents: the verdict
// rules end to end (power, Holm, direction, disturbed runs, calibration keyed by options and
// runs), with the counterexamples that once gave wrong verdicts.
#include <gtest/gtest.h>

#include <map>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "bench/bench.h"
#include "bench/calibration.h"
#include "bench/compare.h"
#include "bench/irq_spread.h"
#include "bench/runner.h"

namespace tunectl::bench {
namespace {

struct Metric {
  std::string name;
  bool higher_is_better;
  std::vector<double> runs;
};

// A tunectl.bench/1 result of benchmark "fake" holding exactly these runs; the first `disturbed`
// runs are flagged as the runner flags them.
json result(const std::vector<Metric>& metrics, const json& options = {{"size", "1"}}, size_t disturbed = 0) {
  const size_t n = metrics.at(0).runs.size();
  json ms = json::object(), runs = json::array(), flagged = json::array();
  for (const auto& m : metrics) ms[m.name] = {{"unit", "x"}, {"higher_is_better", m.higher_is_better}, {"runs", m.runs}};
  for (size_t i = 0; i < n; ++i) {
    runs.push_back({{"env", json::object()}, {"detail", json::object()}, {"disturbed", nullptr}});
    if (i < disturbed) flagged.push_back({{"run", i}, {"reason", "threads waited 60% of their runnable time"}});
  }
  return {{"schema", kResultSchema}, {"bench", "fake"},     {"options", options},   {"unavailable", nullptr},
          {"metrics", ms},           {"runs", runs},        {"notes", json::object()},
          {"env", {{"reps", n}, {"disturbed_runs", flagged}}}};
}

std::vector<double> around(double centre, size_t n, double step = 0.1) {
  std::vector<double> v;
  for (size_t i = 0; i < n; ++i) v.push_back(centre + step * (static_cast<double>(i) - static_cast<double>(n) / 2));
  return v;
}

NoiseTable no_calibration() { return NoiseTable::load("/nonexistent/bench-noise.json"); }

std::map<std::string, json> by_metric(const json& c) {
  std::map<std::string, json> out;
  for (const auto& m : c["metrics"]) out[m["metric"]] = m;
  return out;
}

std::string input_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST(Compare, DirectionFollowsHigherIsBetter) {
  const json a = result({{"latency", false, around(100, 8)}, {"rate", true, around(1000, 8)}});
  const json b = result({{"latency", false, around(150, 8)}, {"rate", true, around(660, 8)}}, {{"size", "2"}});
  const auto c = compare_results(a, b, no_calibration());
  EXPECT_EQ(c["schema"], "tunectl.bench.compare/1");
  EXPECT_TRUE(c["regressed"].get<bool>());
  auto by = by_metric(c);
  EXPECT_EQ(by["latency"]["verdict"], "regressed");  // lower is better, and it went up
  EXPECT_EQ(by["rate"]["verdict"], "regressed");     // higher is better, and it went down
  EXPECT_NEAR(by["latency"]["ratio"].get<double>(), 149.95 / 99.95, 1e-9);
  EXPECT_EQ(by["latency"]["rank_direction"], "B larger");
  const auto back = compare_results(b, a, no_calibration());
  EXPECT_FALSE(back["regressed"].get<bool>());
  EXPECT_EQ(back["verdicts"]["improved"], 2);
  EXPECT_EQ(c["options_differ"], json({"size"}));
  EXPECT_FALSE(c["underpowered"].get<bool>());
}

// Issue counterexample 1: A = [100], B = [101] printed "no change" with exit 0.
TEST(Compare, OneRunEachIsRefusedOrInconclusiveNeverNoChange) {
  const json a = result({{"rtt", false, {100}}}), b = result({{"rtt", false, {101}}});
  const std::string why = input_error([&] { compare_results(a, b, no_calibration()); });
  EXPECT_NE(why.find("too few runs to compare: 1 vs 1 runs"), std::string::npos) << why;
  EXPECT_NE(why.find("--reps 4 or more"), std::string::npos) << why;
  EXPECT_NE(why.find("--allow-underpowered"), std::string::npos) << why;
  CompareOptions allow;
  allow.allow_underpowered = true;
  const auto c = compare_results(a, b, no_calibration(), allow);
  EXPECT_TRUE(c["underpowered"].get<bool>());
  EXPECT_EQ(c["metrics"][0]["verdict"], "inconclusive");
  EXPECT_EQ(c["metrics"][0]["more_runs_needed"], 3);
  EXPECT_EQ(c["more_runs_needed"], 3);
}

// Issue counterexample 3: 4 runs per side, tcp_rr's five metrics, latency doubled. Holm's first
// threshold is 0.01 and 4 vs 4 can never go below p = 0.0286: it printed "inconclusive", exit 0.
TEST(Compare, AnUndetectableRegressionIsAnInputErrorNamingTheRepsNeeded) {
  std::vector<Metric> ma, mb;
  for (const char* name : {"rtt_p50_us", "rtt_p90_us", "rtt_p99_us", "rtt_p999_us"}) {
    ma.push_back({name, false, around(20, 4)});
    mb.push_back({name, false, around(40, 4)});
  }
  ma.push_back({"tps", true, around(50000, 4, 100)});
  mb.push_back({"tps", true, around(25000, 4, 100)});
  const std::string why = input_error([&] { compare_results(result(ma), result(mb), no_calibration()); });
  EXPECT_NE(why.find("4 vs 4 runs, 5 metrics"), std::string::npos) << why;
  EXPECT_NE(why.find("p <= 0.01"), std::string::npos) << why;
  EXPECT_NE(why.find("--reps 5 or more"), std::string::npos) << why;
  // Five runs each are enough, and the regression is then found.
  for (auto* side : {&ma, &mb})
    for (auto& m : *side) m.runs.push_back(m.runs.back() + 0.05);
  const auto c = compare_results(result(ma), result(mb), no_calibration());
  EXPECT_TRUE(c["regressed"].get<bool>());
  EXPECT_EQ(c["verdicts"]["regressed"], 5);
}

// The same data is "improved" as the only metric and not once Holm corrects for three metrics.
// Values chosen so the raw p (U = 81 of 100, exact p = 0.0185) lies between alpha / 3 and alpha
// while the ratio (12.35 / 10.45) and its CI clear the noise band.
TEST(Compare, HolmsCorrectionChangesAVerdict) {
  const std::vector<double> a = {10, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6, 10.7, 10.8, 20},
                            b = {12, 12.1, 12.2, 12.3, 12.4, 12.5, 12.6, 12.7, 12.8, 5};
  const auto alone = compare_results(result({{"x", true, a}}), result({{"x", true, b}}), no_calibration());
  const double p = alone["metrics"][0]["p"].get<double>();
  ASSERT_GT(p, 0.05 / 3);
  ASSERT_LT(p, 0.05);
  EXPECT_EQ(alone["metrics"][0]["verdict"], "improved");
  const std::vector<double> flat = around(50, 10);
  const auto three = compare_results(result({{"x", true, a}, {"y", true, flat}, {"z", true, flat}}),
                                     result({{"x", true, b}, {"y", true, flat}, {"z", true, flat}}), no_calibration());
  const auto x = by_metric(three)["x"];
  EXPECT_DOUBLE_EQ(x["p"].get<double>(), p);
  EXPECT_NEAR(x["p_holm"].get<double>(), 3 * p, 1e-12);
  EXPECT_FALSE(x["significant"].get<bool>());
  EXPECT_EQ(x["verdict"], "inconclusive");
}

TEST(Compare, DisturbedRunsDemoteEveryVerdictNoChangeIncluded) {
  const auto same = around(100, 10);
  const json clean = result({{"x", false, same}});
  EXPECT_EQ(compare_results(clean, clean, no_calibration())["metrics"][0]["verdict"], "no change");
  const json busy = result({{"x", false, same}}, {{"size", "1"}}, 3);  // 3 of 10 > a quarter
  const auto c = compare_results(clean, busy, no_calibration());
  EXPECT_EQ(c["metrics"][0]["verdict"], "inconclusive");
  EXPECT_NE(c["metrics"][0]["why"].get<std::string>().find("3 of 10 runs of B were disturbed"), std::string::npos);
  EXPECT_NE(c["too_disturbed"].get<std::string>().find("threads waited"), std::string::npos);
  const auto worse = compare_results(clean, result({{"x", false, around(200, 10)}}, {{"size", "1"}}, 5),
                                     no_calibration());
  EXPECT_EQ(worse["metrics"][0]["verdict"], "inconclusive");
  EXPECT_FALSE(worse["regressed"].get<bool>());
  // Two of ten (a fifth) is tolerated: the verdict stands and the count is reported.
  const auto few = compare_results(clean, result({{"x", false, same}}, {{"size", "1"}}, 2), no_calibration());
  EXPECT_EQ(few["metrics"][0]["verdict"], "no change");
  EXPECT_EQ(few["disturbed_runs"]["b"], 2);
}

TEST(Compare, RunsWithoutDataNeverEnterTheStatistics) {
  json a = result({{"x", false, around(100, 10)}}), b = result({{"x", false, around(100, 10)}});
  for (int i = 0; i < 9; ++i) b["metrics"]["x"]["runs"][i] = nullptr;  // as the runner writes NaN
  const auto c = compare_results(a, b, no_calibration());
  EXPECT_EQ(c["metrics"][0]["n"]["b"], 1);
  EXPECT_EQ(c["metrics"][0]["verdict"], "inconclusive");  // 10 vs 1 cannot reach significance
  EXPECT_EQ(c["metrics"][0]["more_runs_needed"], 3);
  for (int i = 9; i < 10; ++i) b["metrics"]["x"]["runs"][i] = nullptr;
  const auto none = compare_results(a, b, no_calibration());
  EXPECT_EQ(none["metrics"][0]["verdict"], "inconclusive");
  EXPECT_NE(none["metrics"][0]["why"].get<std::string>().find("no data"), std::string::npos);
}

TEST(Compare, RejectsMismatchedOrUnavailableInputs) {
  const json r = result({{"x", false, around(1, 5)}});
  json other = r;
  other["bench"] = "tcp_rr";
  EXPECT_THROW(compare_results(r, other, no_calibration()), InputError);
  json unavailable = r;
  unavailable["unavailable"] = "no";
  EXPECT_THROW(compare_results(r, unavailable, no_calibration()), InputError);
  EXPECT_THROW(compare_results(json::object(), r, no_calibration()), InputError);
}

// --- calibration -------------------------------------------------------------------------------

TEST(Calibration, BandHoldsOnlyForTheOptionsAndRunsItWasMeasuredWith) {
  test::TempTree tmp;
  const std::string path = tmp.path() + "/state/bench-noise.json";
  NoiseTable t = NoiseTable::load(path);
  const json aa = result({{"x", false, around(100, 10)}, {"wild", false, {1, 50, 3, 90, 2, 70, 4, 60, 5, 80}}});
  const json aa2 = result({{"x", false, around(100, 10)}, {"wild", false, {90, 2, 70, 1, 80, 3, 60, 4, 50, 5}}});
  t.update_from_aa(aa, aa2);
  t.save(path);
  const auto loaded = NoiseTable::load(path);
  const CalibrationKey key{"fake", {{"size", "1"}}, 10};
  const auto thr = loaded.lookup(key, "x");
  EXPECT_TRUE(thr.calibrated);
  EXPECT_DOUBLE_EQ(thr.fraction, kMinNoise);  // identical A/A runs: the floor applies
  EXPECT_NE(thr.source.find("with 10 A/A runs per side and the same options"), std::string::npos) << thr.source;
  // A band far beyond the cap is capped, and says so.
  const auto wild = loaded.lookup(key, "wild");
  EXPECT_DOUBLE_EQ(wild.fraction, kMaxNoise);
  EXPECT_NE(wild.source.find("capped at 20%"), std::string::npos) << wild.source;
  // Other runs or options: no calibration applies, and the source says why.
  for (const auto& other : {CalibrationKey{"fake", {{"size", "1"}}, 20}, CalibrationKey{"fake", {{"size", "2"}}, 10},
                            CalibrationKey{"tcp_rr", {{"size", "1"}}, 10}}) {
    const auto d = loaded.lookup(other, "x");
    EXPECT_FALSE(d.calibrated);
    EXPECT_DOUBLE_EQ(d.fraction, kDefaultNoise);
    EXPECT_NE(d.source.find("uncalibrated for " + other.bench), std::string::npos) << d.source;
  }
  // Recalibrating the same key replaces the entry instead of adding one.
  t.update_from_aa(aa, aa2);
  EXPECT_EQ(t.data()["entries"].size(), 1u);
}

TEST(Calibration, EveryVerdictSaysWhichCalibrationItUsed) {
  test::TempTree tmp;
  const std::string path = tmp.path() + "/noise.json";
  NoiseTable t = NoiseTable::load(path);
  const json a = result({{"x", false, around(100, 10)}});
  t.update_from_aa(a, a);
  t.save(path);
  const auto c = compare_results(a, result({{"x", false, around(101, 10)}}), NoiseTable::load(path));
  EXPECT_TRUE(c["calibration"]["matched"].get<bool>());
  EXPECT_EQ(c["calibration"]["reps"], 10);
  EXPECT_TRUE(c["metrics"][0]["noise_calibrated"].get<bool>());
  const json more = result({{"x", false, around(100, 12)}});
  const auto d = compare_results(more, more, NoiseTable::load(path));
  EXPECT_FALSE(d["calibration"]["matched"].get<bool>());
  EXPECT_NE(d["metrics"][0]["noise_source"].get<std::string>().find("12 runs"), std::string::npos);
}

TEST(Calibration, OldFormatIsUnusedWithAReasonAndCorruptFilesAreErrors) {
  test::TempTree tmp;
  tmp.write("old.json", R"({"schema": "tunectl.bench-noise/1", "hostname": "h", "benches": {}})");
  const auto d = NoiseTable::load(tmp.path() + "/old.json").lookup({"fake", json::object(), 10}, "x");
  EXPECT_FALSE(d.calibrated);
  EXPECT_NE(d.source.find("recalibrate"), std::string::npos) << d.source;
  tmp.write("bad.json", "{not json");
  EXPECT_THROW(NoiseTable::load(tmp.path() + "/bad.json"), InputError);
  tmp.write("entry.json", R"({"schema": "tunectl.bench-noise/2", "hostname": "h", "entries": [{"bench": 1}]})");
  EXPECT_THROW(NoiseTable::load(tmp.path() + "/entry.json"), InputError);
}

// --- what a benchmark may report as a metric ------------------------------------------------------

// Configuration (quota / period) and once-per-setup facts (kB of THP) are not measurements of a
// run: ten identical copies of them once made a "significant" verdict.
TEST(Metrics, OnlyPerRunMeasurementsAreMetrics) {
  auto names = [](const std::string& bench) {
    std::vector<std::string> out;
    for (const auto& m : make_bench(bench)->metrics()) out.push_back(m.name);
    return out;
  };
  EXPECT_EQ(names("cpu_quota"),
            (std::vector<std::string>{"cpu_share", "share_error", "nr_periods", "nr_throttled", "throttled_ms"}));
  EXPECT_EQ(names("mem_latency"), (std::vector<std::string>{"ns_per_access_4k", "ns_per_access_thp", "thp_speedup"}));
}

TEST(Metrics, IrqSpreadWithoutInterruptsReportsNoNumber) {
  const Spread none = interrupt_spread({{{0, 1}, {0, 1}, {{0, 0}, {1, 0}}}});
  EXPECT_EQ(none.interrupts, 0u);
  EXPECT_FALSE(none.imbalance);  // not 0, the best value of a lower-is-better metric
  EXPECT_FALSE(none.on_target_fraction);
  const Spread some = interrupt_spread({{{0, 1}, {1}, {{0, 30}, {1, 10}}}, {{0, 1}, {1}, {{1, 20}}}});
  EXPECT_EQ(some.interrupts, 60u);
  EXPECT_DOUBLE_EQ(*some.imbalance, 30.0 / 30.0);  // busiest 30 over a mean of 60 / 2
  EXPECT_DOUBLE_EQ(*some.on_target_fraction, 30.0 / 60.0);
  const Spread skewed = interrupt_spread({{{0, 1, 2, 3}, {0, 1, 2, 3}, {{2, 40}}}});
  EXPECT_DOUBLE_EQ(*skewed.imbalance, 4.0);  // all on one of four CPUs
  EXPECT_DOUBLE_EQ(*skewed.on_target_fraction, 1.0);
}

}  // namespace
}  // namespace tunectl::bench
