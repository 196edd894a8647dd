#include "bench/compare.h"

#include <algorithm>
#include <tuple>

#include "core/errors.h"
#include "bench/runner.h"
#include "bench/stats.h"

namespace tunectl::bench {
namespace {

std::vector<double> finite_runs(const json& metric) {
  std::vector<double> v;
  for (const auto& x : metric.value("runs", json::array()))
    if (x.is_number()) v.push_back(x.get<double>());
  return v;
}

void check_result(const json& r, const char* which) {
  if (!r.is_object() || r.value("schema", "") != kResultSchema || !r.contains("metrics") || !r["metrics"].is_object() ||
      !r.value("env", json()).is_object())
    throw InputError(std::string(which) + ": not a " + kResultSchema + " result");
  if (r.contains("unavailable") && !r["unavailable"].is_null())
    throw InputError(std::string(which) + ": " + r.value("bench", "?") +
                     " was unavailable: " + r["unavailable"].get<std::string>());
}

// Measured runs of a result (each run's metrics may still be null where it produced none).
size_t run_count(const json& r) {
  if (r.contains("runs") && r["runs"].is_array()) return r["runs"].size();
  return r["env"].value("reps", 0);
}

struct Disturbance {
  size_t runs = 0;
  std::string first_reason;
};

Disturbance disturbance(const json& r) {
  Disturbance d;
  for (const auto& x : r["env"].value("disturbed_runs", json::array())) {
    if (d.runs++ == 0 && x.is_object()) d.first_reason = x.value("reason", "");
  }
  return d;
}

std::string underpowered_message(size_t runs_a, size_t runs_b, size_t metrics, double first_step, size_t needed) {
  return "too few runs to compare: " + std::to_string(runs_a) + " vs " + std::to_string(runs_b) + " runs, " +
         std::to_string(metrics) + " metrics; after Holm's correction the most significant metric needs p <= " +
         stats::three_significant(first_step) + ", which no outcome of so few runs can reach. Rerun both with --reps " +
         std::to_string(needed) + " or more (or pass --allow-underpowered to get inconclusive verdicts)";
}

}  // namespace

json compare_results(const json& a, const json& b, const NoiseTable& noise, const CompareOptions& options) {
  check_result(a, "A");
  check_result(b, "B");
  const std::string bench = a["bench"].get<std::string>();
  if (b["bench"] != a["bench"])
    throw InputError("cannot compare " + bench + " with " + b["bench"].get<std::string>());

  struct Row {
    std::string name;
    json spec;
    stats::SampleComparison c;
  };
  std::vector<Row> rows;
  for (const auto& [name, spec] : a["metrics"].items())
    if (b["metrics"].contains(name))
      rows.push_back({name, spec, stats::compare_samples(finite_runs(spec), finite_runs(b["metrics"][name]))});
  std::vector<double> ps;
  for (const auto& r : rows) ps.push_back(r.c.test.p);
  const auto adjusted = stats::holm_adjusted(ps);

  // Power: Holm's first step tests the smallest p against alpha / metrics; below the runs that can
  // reach it, nothing can be significant, so no verdict of any kind can be earned.
  const size_t runs_a = run_count(a), runs_b = run_count(b);
  const double first_step = stats::kAlpha / static_cast<double>(std::max<size_t>(1, rows.size()));
  const size_t min_runs = stats::min_runs_for(first_step);
  const bool underpowered = stats::best_p(runs_a, runs_b) > first_step;
  if (underpowered && !options.allow_underpowered)
    throw InputError(underpowered_message(runs_a, runs_b, rows.size(), first_step, min_runs));

  const Disturbance dist_a = disturbance(a), dist_b = disturbance(b);
  std::optional<std::string> too_disturbed;
  for (const auto& [side, d, runs] : {std::tuple{"A", dist_a, runs_a}, std::tuple{"B", dist_b, runs_b}})
    if (!too_disturbed && runs && static_cast<double>(d.runs) / static_cast<double>(runs) > kMaxDisturbedShare)
      too_disturbed = std::to_string(d.runs) + " of " + std::to_string(runs) + " runs of " + side +
                      " were disturbed (more than a quarter), e.g. " + d.first_reason;

  const CalibrationKey key{bench, a["options"], static_cast<int>(std::min(runs_a, runs_b))};
  json metrics = json::array();
  bool regressed = false, all_calibrated = !rows.empty();
  std::optional<int> more_runs;
  std::map<std::string, int> counts;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const bool higher = r.spec.value("higher_is_better", false);
    const auto thr = noise.lookup(key, r.name);
    all_calibrated = all_calibrated && thr.calibrated;
    const bool significant = adjusted[i] <= stats::kAlpha;
    auto d = stats::decide(r.c, {significant, higher, thr.fraction, first_step});
    if (too_disturbed) {  // the likeliest cause of any verdict, or of its absence
      d.why = *too_disturbed + (d.verdict == stats::Verdict::inconclusive ? "; also: " + d.why : "");
      d.verdict = stats::Verdict::inconclusive;
    }
    const std::string v = stats::verdict_name(d.verdict);
    ++counts[v];
    regressed = regressed || d.verdict == stats::Verdict::regressed;
    if (d.more_runs_needed) more_runs = std::max(more_runs.value_or(0), *d.more_runs_needed);
    metrics.push_back({{"metric", r.name},
                       {"unit", r.spec.value("unit", "")},
                       {"higher_is_better", higher},
                       {"median_a", r.c.n_a ? json(r.c.median_a) : json()},
                       {"median_b", r.c.n_b ? json(r.c.median_b) : json()},
                       {"ratio", r.c.ratio ? json(r.c.ratio->ratio) : json()},
                       {"ci95", r.c.ratio ? json{r.c.ratio->ci95.lo, r.c.ratio->ci95.hi} : json()},
                       {"p", r.c.test.p},
                       {"p_exact", r.c.test.exact},
                       {"p_holm", adjusted[i]},
                       {"significant", significant},
                       {"rank_direction", r.c.rank_direction > 0 ? "B larger" : r.c.rank_direction < 0 ? "B smaller" : "even"},
                       {"n", {{"a", r.c.n_a}, {"b", r.c.n_b}}},
                       {"noise_threshold", thr.fraction},
                       {"noise_calibrated", thr.calibrated},
                       {"noise_source", thr.source},
                       {"verdict", v},
                       {"why", d.why},
                       {"more_runs_needed", d.more_runs_needed}});
  }
  json changed = json::array();
  for (const auto& [k, v] : a["options"].items())
    if (!b["options"].contains(k) || b["options"][k] != v) changed.push_back(k);
  return {{"schema", kCompareSchema},
          {"bench", bench},
          {"options_a", a["options"]},
          {"options_b", b["options"]},
          {"options_differ", changed},
          {"runs", {{"a", runs_a}, {"b", runs_b}}},
          {"alpha", stats::kAlpha},
          {"multiple_testing", "holm"},
          {"min_runs_for_significance", min_runs},
          {"underpowered", underpowered},
          {"calibration", {{"bench", key.bench}, {"options", key.options}, {"reps", key.reps}, {"matched", all_calibrated}}},
          {"bootstrap", {{"resamples", stats::kBootstrapResamples}, {"seed", stats::kBootstrapSeed}}},
          {"disturbed_runs", {{"a", dist_a.runs}, {"b", dist_b.runs}}},
          {"too_disturbed", too_disturbed ? json(*too_disturbed) : json()},
          {"metrics", metrics},
          {"verdicts", counts},
          {"regressed", regressed},
          {"more_runs_needed", more_runs}};
}

}  // namespace tunectl::bench
