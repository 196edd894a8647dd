#include "audit/expectations.h"

#include <algorithm>
#include <sstream>

namespace tunectl {
namespace {

std::string percent(double f) {
  std::ostringstream s;
  s.precision(3);
  s << 100 * f << "%";
  return s.str();
}

const BenchOutcome* outcome_for(const std::vector<BenchOutcome>& outs, size_t i) {
  const std::string tag = "verify.bench[" + std::to_string(i) + "]";
  for (const auto& o : outs)
    if (std::find(o.because.begin(), o.because.end(), tag) != o.because.end()) return &o;
  return nullptr;
}

const json* metric_row(const json& comparison, const std::string& metric) {
  if (!comparison.is_object() || !comparison.contains("metrics")) return nullptr;
  for (const auto& m : comparison["metrics"])
    if (m.value("metric", "") == metric) return &m;
  return nullptr;
}

std::string label(const json& e) {
  std::string s = e.value("bench", "") + (e.contains("metric") ? " " + e["metric"].get<std::string>() : "");
  s += " " + e.value("expect", "");
  if (e.contains("min_effect")) s += " by at least " + percent(e["min_effect"].get<double>());
  return s;
}

// Fills row's verdict/ratio/ci95/met/reason for an "improved" expectation.
void judge_improved(const json& e, const json& m, json& row) {
  row["verdict"] = m["verdict"];
  row["ratio"] = m["ratio"];
  row["ci95"] = m["ci95"];
  const std::string verdict = m.value("verdict", "");
  if (verdict != "improved") {
    row["reason"] = "not shown: the verdict is " + verdict + (m.value("why", "").empty() ? "" : " (" + m["why"].get<std::string>() + ")");
    return;
  }
  if (!e.contains("min_effect")) {
    row["met"] = true;
    row["reason"] = "improved";
    return;
  }
  const double need = e["min_effect"].get<double>();
  const bool higher = m.value("higher_is_better", false);
  if (!m["ci95"].is_array()) {  // a zero baseline has no ratio: only a higher-is-better metric can grow from 0
    row["met"] = higher;
    row["reason"] = higher ? "improved from a baseline of 0" : "no ratio to check the minimum effect against";
    return;
  }
  // The least favourable end of the CI: the upper one for lower-is-better metrics.
  const double worst = higher ? m["ci95"][0].get<double>() : m["ci95"][1].get<double>();
  const double shown = improvement(worst, higher);
  row["effect_shown"] = shown;
  row["met"] = shown >= need;
  row["reason"] = shown >= need ? "improved by at least " + percent(shown) + " (95% CI)"
                                : "improved, but the 95% CI only shows " + percent(shown) + ", less than " + percent(need);
}

}  // namespace

double improvement(double ratio, bool higher_is_better) { return higher_is_better ? ratio - 1 : 1 - ratio; }

AuditVerdict judge(const json& expectations, const std::vector<BenchOutcome>& outcomes) {
  AuditVerdict v;
  for (size_t i = 0; i < expectations.size(); ++i) {
    const json& e = expectations[i];
    json row = e;
    row["met"] = false;
    row["verdict"] = nullptr;
    row["ratio"] = nullptr;
    row["ci95"] = nullptr;
    const BenchOutcome* o = outcome_for(outcomes, i);
    const std::string expect = e.value("expect", "");
    if (o && !o->cannot_see.empty()) {
      row["met"] = nullptr;
      row["reason"] = "cannot be checked on this host: " + o->bench + " " + o->cannot_see;
      v.unchecked.push_back(label(e) + ": " + row["reason"].get<std::string>());
      v.expectations.push_back(row);
      continue;
    } else if (!o || !o->comparison.is_object()) {
      row["reason"] = "not shown: " + e.value("bench", "") + " did not run" + (o && !o->unavailable.empty() ? " (" + o->unavailable + ")" : "");
    } else if (expect != "improved" && o->comparison.value("too_disturbed", json()).is_string()) {
      // Runs too disturbed for any verdict would hide a regression too: nothing is shown.
      row["reason"] = "not shown: " + o->comparison["too_disturbed"].get<std::string>() +
                      ", too disturbed to tell whether anything regressed";
    } else if (expect == "improved") {
      if (const json* m = metric_row(o->comparison, e.value("metric", "")))
        judge_improved(e, *m, row);
      else
        row["reason"] = "not shown: no such metric in the result";
    } else {  // no-regression
      std::vector<std::string> regressed;
      for (const auto& m : o->comparison["metrics"])
        if ((!e.contains("metric") || m.value("metric", "") == e["metric"].get<std::string>()) && m.value("verdict", "") == "regressed")
          regressed.push_back(m.value("metric", ""));
      if (e.contains("metric")) {
        if (const json* m = metric_row(o->comparison, e["metric"].get<std::string>())) {
          row["verdict"] = (*m)["verdict"];
          row["ratio"] = (*m)["ratio"];
          row["ci95"] = (*m)["ci95"];
        }
      }
      row["met"] = regressed.empty();
      std::string list;
      for (const auto& r : regressed) list += (list.empty() ? "" : ", ") + r;
      row["reason"] = regressed.empty() ? "no metric regressed" : "regressed: " + list;
    }
    if (!row["met"].get<bool>()) v.reasons.push_back(label(e) + ": " + row["reason"].get<std::string>());
    v.expectations.push_back(row);
  }
  for (const auto& o : outcomes) {
    if (!o.comparison.is_object() || o.measures_setting) continue;
    for (const auto& m : o.comparison["metrics"])
      if (m.value("verdict", "") == "regressed") {
        v.regressions.push_back({{"bench", o.bench}, {"metric", m["metric"]}, {"ratio", m["ratio"]}, {"ci95", m["ci95"]}, {"why", m.value("why", "")}});
        std::string r = o.bench + " " + m["metric"].get<std::string>() + " regressed";
        if (m["ratio"].is_number()) {
          std::ostringstream s;
          s.precision(3);
          s << " (ratio " << m["ratio"].get<double>() << ")";
          r += s.str();
        }
        if (std::find(v.reasons.begin(), v.reasons.end(), r) == v.reasons.end()) v.reasons.push_back(r);
      }
  }
  v.passed = v.reasons.empty();
  return v;
}

}  // namespace tunectl
