// Defensive reads of an audit report and the views its renderers share.
#include "audit/report_fields.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

namespace tunectl::audit_report {
namespace {

const json& null_json() {
  static const json n;
  return n;
}

// Whether run `i` of one side's result counts as disturbed: its own flag (a reason string) or the
// result's env.disturbed_runs list naming it.
bool run_disturbed(const json& result, size_t i) {
  const json& flag = at(at(at(result, "runs"), i), "disturbed");
  if ((flag.is_string() && !flag.get<std::string>().empty()) || (flag.is_boolean() && flag.get<bool>())) return true;
  const json& listed = at(at(result, "env"), "disturbed_runs");
  if (!listed.is_array()) return false;
  for (const auto& d : listed)
    if (at(d, "run").is_number_unsigned() && at(d, "run").get<size_t>() == i) return true;
  return false;
}

std::vector<RunPoint> runs_of(const json& result, const std::string& metric) {
  std::vector<RunPoint> out;
  const json& m = at(at(result, "metrics"), metric.c_str());
  const json& values = at(m, "runs");
  if (!values.is_array()) return out;
  for (size_t i = 0; i < values.size(); ++i)
    if (auto v = number(values[i])) out.push_back({*v, run_disturbed(result, i)});
  return out;
}

size_t disturbed_count(const std::vector<MetricView>& metrics, bool after) {
  size_t n = 0;
  for (const auto& m : metrics) {
    size_t here = 0;
    for (const auto& r : after ? m.after : m.before) here += r.disturbed;
    n = std::max(n, here);
  }
  return n;
}

size_t run_count(const std::vector<MetricView>& metrics, bool after) {
  size_t n = 0;
  for (const auto& m : metrics) n = std::max(n, (after ? m.after : m.before).size());
  return n;
}

}  // namespace

const json& at(const json& j, const char* key) {
  if (!j.is_object()) return null_json();
  const auto it = j.find(key);
  return it == j.end() ? null_json() : *it;
}

const json& at(const json& j, size_t i) { return j.is_array() && i < j.size() ? j[i] : null_json(); }

std::optional<double> number(const json& v) {
  if (!v.is_number()) return std::nullopt;
  const double d = v.get<double>();
  return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
}

std::string text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number()) return num(v);
  return kDash;
}

std::string num(const json& v) {
  const auto d = number(v);
  return d ? num(*d) : kDash;
}

std::string num(double v) {
  char buf[64];
  const double a = std::fabs(v);
  std::snprintf(buf, sizeof buf, a >= 1e4 && a < 1e15 ? "%.0f" : "%.4g", v);
  return buf;
}

std::string ratio_with_ci(const json& ratio, const json& ci95) {
  const auto fmt = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return std::fabs(v) < 10 ? std::string(buf) : num(v);
  };
  const auto r = number(ratio);
  const auto lo = number(at(ci95, size_t{0}));
  const auto hi = number(at(ci95, size_t{1}));
  const std::string ci = lo && hi ? "[" + fmt(*lo) + ", " + fmt(*hi) + "]" : "";
  if (!r) return ci.empty() ? kDash : std::string(kDash) + " " + ci;
  return ci.empty() ? fmt(*r) : fmt(*r) + " " + ci;
}

std::string profile_name(const json& report) {
  const json& name = at(at(report, "profile"), "name");
  if (name.is_string()) return name.get<std::string>();
  const json& planned = at(at(report, "plan"), "profile");
  return planned.is_string() ? planned.get<std::string>() : "";
}

std::string pass_word(const json& report) {
  const json& passed = at(at(report, "outcome"), "passed");
  if (!passed.is_boolean()) return "UNKNOWN";
  return passed.get<bool>() ? "PASSED" : "FAILED";
}

std::string summary_text(const json& report) {
  std::string s = text(at(at(report, "outcome"), "summary"));
  std::string word = pass_word(report);
  for (auto& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string prefix = word + ": ";
  if (s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0) s.erase(0, prefix.size());
  return s;
}

std::vector<BenchView> bench_views(const json& report) {
  std::vector<BenchView> out;
  const json& benches = at(report, "benchmarks");
  if (!benches.is_array()) return out;
  for (const auto& b : benches) {
    BenchView v;
    v.bench = text(at(b, "bench"));
    if (!at(b, "unavailable").is_null()) v.unavailable = text(at(b, "unavailable"));
    const json& a_side = at(b, "a");
    const json& b_side = at(b, "b");
    std::set<std::string> seen;
    const auto add = [&](const std::string& metric, const json& row) {
      if (!seen.insert(metric).second) return;
      MetricView m;
      m.metric = metric;
      m.row = &row;
      const json& def = at(at(a_side, "metrics"), metric.c_str()).is_null() ? at(at(b_side, "metrics"), metric.c_str())
                                                                            : at(at(a_side, "metrics"), metric.c_str());
      m.unit = at(row, "unit").is_string()   ? at(row, "unit").get<std::string>()
               : at(def, "unit").is_string() ? at(def, "unit").get<std::string>()
                                             : "";
      const json& hib =
          at(row, "higher_is_better").is_boolean() ? at(row, "higher_is_better") : at(def, "higher_is_better");
      if (hib.is_boolean()) m.higher_is_better = hib.get<bool>();
      m.before = runs_of(a_side, metric);
      m.after = runs_of(b_side, metric);
      v.metrics.push_back(std::move(m));
    };
    const json& rows = at(at(b, "comparison"), "metrics");
    if (rows.is_array())
      for (const auto& row : rows)
        if (at(row, "metric").is_string()) add(row["metric"].get<std::string>(), row);
    for (const json* side : {&a_side, &b_side})
      if (at(*side, "metrics").is_object())
        for (const auto& [name, def] : (*side)["metrics"].items()) add(name, null_json());
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<std::string> caveats(const json& report) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  const auto add = [&](const std::string& s) {
    if (!s.empty() && seen.insert(s).second) out.push_back(s);
  };
  std::vector<std::string> given;
  if (at(report, "caveats").is_array())
    for (const auto& c : report["caveats"]) given.push_back(text(c));
  for (const auto& c : given) add(c);
  // Whether the report already says something about `subject` ("noise band", "disturbed"), for `bench`
  // or (bench "") in general.
  const auto stated = [&](const std::string& bench, const std::string& subject) {
    for (const auto& c : given)
      if (c.find(subject) != std::string::npos && (bench.empty() || c.compare(0, bench.size() + 1, bench + ":") == 0))
        return true;
    return false;
  };
  for (const auto& b : bench_views(report)) {
    if (!b.unavailable.empty()) {
      if (!stated(b.bench, "unavailable") && !stated(b.bench, "not run"))
        add(b.bench + ": not run (" + b.unavailable + ")");
      continue;
    }
    std::map<std::string, std::vector<std::string>> by_source;  // noise source -> metrics using it
    for (const auto& m : b.metrics)
      if (at(*m.row, "noise_source").is_string())
        by_source[(*m.row)["noise_source"].get<std::string>()].push_back(m.metric);
    if (stated("", "noise band")) by_source.clear();
    for (const auto& [source, metrics] : by_source) {
      std::string who = b.bench;
      if (by_source.size() > 1) {
        who += " (";
        for (size_t i = 0; i < metrics.size(); ++i) who += (i ? ", " : "") + metrics[i];
        who += ")";
      }
      add(who + ": noise band " + source);
    }
    const size_t da = disturbed_count(b.metrics, false), db = disturbed_count(b.metrics, true);
    if (da + db > 0 && !stated(b.bench, "disturbed"))
      add(b.bench + ": disturbed runs (other load on the host): " + std::to_string(da) + " of " +
          std::to_string(run_count(b.metrics, false)) + " before, " + std::to_string(db) + " of " +
          std::to_string(run_count(b.metrics, true)) + " after");
  }
  return out;
}

std::optional<double> utc_seconds(const std::string& s) {
  std::tm tm{};
  int consumed = 0;
  double sec = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &sec, &consumed) != 6)
    return std::nullopt;
  const std::string zone = s.substr(static_cast<size_t>(consumed));
  if (zone != "Z" && zone != "+00:00") return std::nullopt;
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      !(sec >= 0 && sec < 61))
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const double whole = std::floor(sec);
  tm.tm_sec = static_cast<int>(whole);
  return static_cast<double>(::timegm(&tm)) + (sec - whole);
}

}  // namespace tunectl::audit_report
