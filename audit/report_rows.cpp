#include "audit/report_rows.h"

#include <sstream>

#include "bench/stats.h"
#include "core/parse.h"

namespace tunectl {

json options_json(const BenchOptions& o) {
  json j = json::object();
  for (const auto& [k, v] : o) j[k] = v;
  return j;
}

std::string seconds_text(double s) {
  std::ostringstream o;
  if (s < 120) o << static_cast<int>(s + 0.5) << " s";
  else o << static_cast<int>(s / 60 + 0.5) << " min";
  return o.str();
}

json loadavg(const Host& host) {
  const auto la = host.read_trimmed("/proc/loadavg");
  if (!la) return nullptr;
  const auto f = split_ws(*la);
  json out = json::array();
  for (size_t i = 0; i < 3 && i < f.size(); ++i) out.push_back(std::stod(f[i]));
  return out;
}

json host_json(const Snapshot& s, const std::string& root) {
  return {{"hostname", s.host.hostname}, {"kernel", s.host.kernel}, {"root", root == "/" ? "live host" : root},
          {"cpus", s.topology ? json(s.topology->cpus.size()) : json()},
          {"numa_nodes", s.topology ? json(s.topology->nodes.size()) : json()}};
}

// The report's settings rows: one per planned change, what the audit saw of it.
json settings_json(const Plan& plan, const std::vector<ToggledKnob>& knobs, bool written) {
  json rows = json::array();
  for (size_t i = 0; i < plan.changes.size(); ++i) {
    const Change& c = plan.changes[i];
    const ToggledKnob* k = i < knobs.size() ? &knobs[i] : nullptr;
    rows.push_back({{"knob", c.knob}, {"before", c.current}, {"after", c.desired}, {"value", c.value}, {"why", c.why},
                    {"source", c.source}, {"written", written && k && k->after.has_value()},
                    {"read_back", k && k->after ? json(*k->after) : json()},
                    {"effect", k ? json(k->effect) : json("not-applicable")},
                    {"effect_detail", k ? json(k->effect_detail) : json("")}});
  }
  return rows;
}

std::string summary_line(bool passed, const AuditVerdict& v, const json& counts, const std::string& end) {
  std::ostringstream s;
  if (passed) {
    s << "passed: ";
    const int exp = static_cast<int>(v.expectations.size() - v.unchecked.size());
    if (exp) s << exp << " expectation" << (exp == 1 ? "" : "s") << " met, ";
    s << "no regression";
  } else {
    s << "failed: " << v.reasons.front();
    if (v.reasons.size() > 1) s << " (and " << v.reasons.size() - 1 << " more)";
  }
  s << "; verdicts: " << counts.value("improved", 0) << " improved, " << counts.value("regressed", 0) << " regressed, "
    << counts.value("no change", 0) << " no change, " << counts.value("inconclusive", 0) << " inconclusive";
  if (passed && counts.value("improved", 0) == 0) s << " (no improvement was shown)";
  if (!v.unchecked.empty())
    s << "; " << v.unchecked.size() << " expectation" << (v.unchecked.size() == 1 ? "" : "s") << " not checkable on this host";
  s << "; profile " << end;
  return s.str();
}

namespace {

// The median of runs[].detail[key] of one side's result, or null.
json median_detail(const json& result, const std::string& key) {
  std::vector<double> v;
  for (const auto& run : result.value("runs", json::array()))
    if (run.contains("detail") && run["detail"].contains(key) && run["detail"][key].is_number())
      v.push_back(run["detail"][key].get<double>());
  if (v.empty()) return nullptr;
  return bench::stats::median(std::move(v));
}

bool names(const json& bench_row, const std::string& knob) {
  for (const auto& w : bench_row.value("because", json::array()))
    if (w == knob) return true;
  return false;
}

}  // namespace

json observed_effect(const std::string& knob, const json& benchmarks) {
  json out = json::array();
  const bool thp = knob.rfind("thp:", 0) == 0;
  const bool quota = knob.rfind("cgroup:", 0) == 0 && knob.find("cpu.max") != std::string::npos;
  if (!thp && !quota) return out;
  for (const auto& b : benchmarks) {
    if (!b["unavailable"].is_null()) continue;
    if (thp) {  // every benchmark whose runs record it, whatever it was chosen for
      const json before = median_detail(b["a"], "thp_kb_used"), after = median_detail(b["b"], "thp_kb_used");
      if (!before.is_null() || !after.is_null())
        out.push_back({{"bench", b["bench"]}, {"what", "huge pages in the THP-advised buffer, KiB (median per run)"},
                       {"before", before}, {"after", after}});
    } else if (names(b, knob)) {
      for (const auto& m : b["comparison"]["metrics"])
        if (m.value("metric", "") == "nr_throttled")
          out.push_back({{"bench", b["bench"]}, {"what", "periods throttled (median per run)"},
                         {"before", m["median_a"]}, {"after", m["median_b"]}});
    }
  }
  return out;
}

}  // namespace tunectl
