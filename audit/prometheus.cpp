// The Prometheus textfile rendering of an audit report (see prometheus.h).
#include "audit/prometheus.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "audit/report_fields.h"

namespace tunectl {
namespace {

using namespace audit_report;
using Labels = std::vector<std::pair<std::string, std::string>>;

// A label value per the exposition format: backslash, double quote and newline escaped.
std::string label_value(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// Whole numbers as integers ("5"), others as the shortest text that reads back the same double.
std::string value_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return json(v).dump();
}

// Families in the order declared, each with its samples kept together (the format requires it).
class Exposition {
 public:
  void family(const std::string& name, const std::string& help) { families_.push_back({name, help, {}}); }
  // Appends to the family `name`. A missing value writes nothing; so does a label set the family
  // already has (the collector would refuse the whole file), e.g. one benchmark run twice with other
  // options: the first one is kept.
  void sample(const std::string& name, const Labels& labels, std::optional<double> value) {
    if (!value) return;
    auto f = std::find_if(families_.begin(), families_.end(), [&](const Family& x) { return x.name == name; });
    if (f == families_.end()) return;
    std::string series = name + "{";
    for (size_t i = 0; i < labels.size(); ++i)
      series += (i ? "," : "") + labels[i].first + "=\"" + label_value(labels[i].second) + "\"";
    series += "}";
    if (!f->series.insert(series).second) return;
    f->samples.push_back(series + " " + value_text(*value));
  }
  std::string str() const {
    std::ostringstream out;
    for (const auto& f : families_) {
      if (f.samples.empty()) continue;
      out << "# HELP " << f.name << " " << f.help << "\n# TYPE " << f.name << " gauge\n";
      for (const auto& s : f.samples) out << s << "\n";
    }
    return out.str();
  }

 private:
  struct Family {
    std::string name, help;
    std::vector<std::string> samples;
    std::set<std::string> series;
  };
  std::vector<Family> families_;
};

std::optional<double> flag(const json& v) {
  return v.is_boolean() ? std::optional<double>(v.get<bool>() ? 1 : 0) : std::nullopt;
}

std::optional<double> when(const json& report) {
  for (const char* key : {"finished_at", "started_at"})
    if (at(report, key).is_string())
      if (auto t = utc_seconds(report[key].get<std::string>())) return t;
  return std::nullopt;
}

void declare(Exposition& e) {
  e.family("tunectl_audit_passed", "1 when the audit passed (settings took effect, expectations met), 0 when not.");
  e.family("tunectl_audit_timestamp_seconds", "When the audit finished, seconds since the Unix epoch.");
  e.family("tunectl_audit_duration_seconds", "How long the audit took.");
  e.family("tunectl_audit_benchmark_unavailable", "1 for a benchmark the audit could not run on this host.");
  e.family("tunectl_audit_runs", "Benchmark runs per side (before, after the profile).");
  e.family("tunectl_audit_disturbed_runs", "Runs disturbed by other load on the host, per side.");
  e.family("tunectl_audit_median", "Median of the runs of a benchmark metric, before and after the profile.");
  e.family("tunectl_audit_ratio", "Median after / median before of a benchmark metric.");
  e.family("tunectl_audit_ratio_ci95", "Bootstrap 95% confidence interval of the ratio (lower and upper bound).");
  e.family("tunectl_audit_verdict", "1 for the verdict given to a benchmark metric, 0 for the other verdicts.");
  e.family("tunectl_audit_expectation_met", "1 when a profile's expectation was met, 0 when not.");
}

}  // namespace

std::string render_audit_prometheus(const json& report) {
  Exposition e;
  declare(e);
  const std::string profile = profile_name(report);
  const Labels p = {{"profile", profile}};
  e.sample("tunectl_audit_passed", p, flag(at(at(report, "outcome"), "passed")));
  e.sample("tunectl_audit_timestamp_seconds", p, when(report));
  e.sample("tunectl_audit_duration_seconds", p, number(at(report, "duration_s")));
  const json& benches = at(report, "benchmarks");
  const auto views = bench_views(report);
  for (size_t i = 0; i < views.size(); ++i) {
    const BenchView& b = views[i];
    const Labels pb = {{"profile", profile}, {"bench", b.bench}};
    if (!b.unavailable.empty()) {
      e.sample("tunectl_audit_benchmark_unavailable", pb, 1);
      continue;
    }
    const json& cmp = at(at(benches, i), "comparison");
    for (const auto& [side, key] : {std::pair{"before", "a"}, std::pair{"after", "b"}}) {
      Labels l = pb;
      l.push_back({"side", side});
      size_t runs = 0, disturbed = 0;
      for (const auto& m : b.metrics) {
        const auto& r = side == std::string("before") ? m.before : m.after;
        runs = std::max(runs, r.size());
        disturbed = std::max(disturbed, static_cast<size_t>(std::count_if(
                                            r.begin(), r.end(), [](const RunPoint& x) { return x.disturbed; })));
      }
      const auto given_runs = number(at(at(cmp, "runs"), key));
      const auto given_disturbed = number(at(at(cmp, "disturbed_runs"), key));
      e.sample("tunectl_audit_runs", l,
               given_runs          ? given_runs
               : b.metrics.empty() ? std::nullopt
                                   : std::optional<double>(runs));
      e.sample("tunectl_audit_disturbed_runs", l,
               given_disturbed     ? given_disturbed
               : b.metrics.empty() ? std::nullopt
                                   : std::optional<double>(disturbed));
    }
    for (const auto& m : b.metrics) {
      const json& row = *m.row;
      const Labels pm = {{"profile", profile}, {"bench", b.bench}, {"metric", m.metric}};
      Labels before = pm, after = pm, lower = pm, upper = pm;
      before.push_back({"side", "before"});
      after.push_back({"side", "after"});
      e.sample("tunectl_audit_median", before, number(at(row, "median_a")));
      e.sample("tunectl_audit_median", after, number(at(row, "median_b")));
      e.sample("tunectl_audit_ratio", pm, number(at(row, "ratio")));
      lower.push_back({"bound", "lower"});
      upper.push_back({"bound", "upper"});
      e.sample("tunectl_audit_ratio_ci95", lower, number(at(at(row, "ci95"), size_t{0})));
      e.sample("tunectl_audit_ratio_ci95", upper, number(at(at(row, "ci95"), size_t{1})));
      if (!at(row, "verdict").is_string()) continue;
      const std::string given = row["verdict"].get<std::string>();
      std::vector<std::string> verdicts = {"improved", "regressed", "no change", "inconclusive"};
      if (std::find(verdicts.begin(), verdicts.end(), given) == verdicts.end()) verdicts.push_back(given);
      for (const auto& v : verdicts) {
        Labels l = pm;
        l.push_back({"verdict", v});
        e.sample("tunectl_audit_verdict", l, v == given ? 1 : 0);
      }
    }
  }
  const json& expectations = at(report, "expectations");
  if (expectations.is_array())
    for (const auto& x : expectations)
      e.sample("tunectl_audit_expectation_met",
               {{"profile", profile},
                {"bench", text(at(x, "bench"))},
                {"metric", text(at(x, "metric"))},
                {"expect", text(at(x, "expect"))}},
               flag(at(x, "met")));
  return e.str();
}

}  // namespace tunectl
