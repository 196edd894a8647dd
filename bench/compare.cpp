#include "bench/compare.h"

#include <algorithm>

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
  if (!r.is_object() || r.value("schema", "") != kResultSchema || !r.contains("metrics"))
    throw InputError(std::string(which) + ": not a " + kResultSchema + " result");
  if (r.contains("unavailable") && !r["unavailable"].is_null())
    throw InputError(std::string(which) + ": " + r.value("bench", "?") +
                     " was unavailable: " + r["unavailable"].get<std::string>());
}

double disturbed_share(const json& r) {
  const size_t reps = r["env"].value("reps", 0);
  const size_t disturbed = r["env"].value("disturbed_runs", json::array()).size();
  return reps ? static_cast<double>(disturbed) / reps : 0.0;
}

}  // namespace

json compare_results(const json& a, const json& b, const NoiseTable& noise) {
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
  // Below this many runs per side even perfect separation cannot pass Holm's smallest threshold.
  const size_t min_runs = stats::min_runs_for(stats::kAlpha / std::max<size_t>(1, rows.size()));
  const bool too_disturbed = disturbed_share(a) > kMaxDisturbedShare || disturbed_share(b) > kMaxDisturbedShare;

  json metrics = json::array();
  bool regressed = false;
  std::optional<int> more_runs;
  std::map<std::string, int> counts;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const bool higher = r.spec.value("higher_is_better", false);
    const auto thr = noise.lookup(bench, r.name);
    const bool significant = adjusted[i] <= stats::kAlpha;
    auto d = stats::decide(r.c, significant, higher, thr.fraction);
    if (d.verdict == stats::Verdict::inconclusive && d.more_runs_needed) {
      const int short_by = static_cast<int>(min_runs) - static_cast<int>(std::min(r.c.n_a, r.c.n_b));
      d.more_runs_needed = std::max(*d.more_runs_needed, short_by);
    }
    if (too_disturbed && (d.verdict == stats::Verdict::improved || d.verdict == stats::Verdict::regressed)) {
      d.verdict = stats::Verdict::inconclusive;
      d.why = "more than a quarter of the runs were disturbed (steal or throttling)";
    }
    const std::string v = stats::verdict_name(d.verdict);
    ++counts[v];
    regressed = regressed || d.verdict == stats::Verdict::regressed;
    if (d.more_runs_needed) more_runs = std::max(more_runs.value_or(0), *d.more_runs_needed);
    json row = {{"metric", r.name},
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
                {"n", {{"a", r.c.n_a}, {"b", r.c.n_b}}},
                {"noise_threshold", thr.fraction},
                {"noise_source", thr.source},
                {"verdict", v},
                {"why", d.why},
                {"more_runs_needed", d.more_runs_needed}};
    metrics.push_back(row);
  }
  json changed = json::array();
  for (const auto& [k, v] : a["options"].items())
    if (!b["options"].contains(k) || b["options"][k] != v) changed.push_back(k);
  return {{"schema", kCompareSchema},
          {"bench", bench},
          {"options_a", a["options"]},
          {"options_b", b["options"]},
          {"options_differ", changed},
          {"alpha", stats::kAlpha},
          {"multiple_testing", "holm"},
          {"min_runs_for_significance", min_runs},
          {"bootstrap", {{"resamples", stats::kBootstrapResamples}, {"seed", stats::kBootstrapSeed}}},
          {"disturbed_runs", {{"a", a["env"].value("disturbed_runs", json::array()).size()},
                              {"b", b["env"].value("disturbed_runs", json::array()).size()}}},
          {"metrics", metrics},
          {"verdicts", counts},
          {"regressed", regressed},
          {"more_runs_needed", more_runs}};
}

}  // namespace tunectl::bench
