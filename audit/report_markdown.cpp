// The Markdown rendering of an audit report (see report_markdown.h).
#include "audit/report_markdown.h"

#include <map>
#include <sstream>
#include <vector>

#include "audit/report_fields.h"

namespace tunectl {
namespace {

using namespace audit_report;

// Text from the report, safe inside a table cell and as inline text: backslash-escapes what would
// end a cell (|) or start markup or raw HTML (CommonMark renders "\<" as a literal "<"), and
// folds newlines, which would end the table row.
std::string md(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    if (c == '\\' || c == '|' || c == '<' || c == '>' || c == '`' || c == '*' || c == '[' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

// A table whose cells are already Markdown (report text passed through md()).
void table(std::ostream& out, const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows) {
  out << "|";
  for (const auto& h : head) out << " " << h << " |";
  out << "\n|";
  for (size_t i = 0; i < head.size(); ++i) out << " --- |";
  out << "\n";
  for (const auto& r : rows) {
    out << "|";
    for (const auto& cell : r) out << " " << cell << " |";
    out << "\n";
  }
}

std::string with_unit(const json& v, const std::string& unit) {
  const std::string n = num(v);
  return md(n == kDash || unit.empty() ? n : n + " " + unit);
}

void summary(std::ostream& out, const json& report) {
  const json& outcome = at(report, "outcome");
  out << "**" << pass_word(report) << "**: " << md(summary_text(report)) << "\n\n";
  const json& host = at(report, "host");
  const json& profile = at(report, "profile");
  std::string digest = text(at(profile, "digest"));
  if (digest != kDash) digest = digest.substr(0, 12);
  const std::string name = profile_name(report);
  out << "Host " << md(text(at(host, "hostname"))) << " (kernel " << md(text(at(host, "kernel"))) << ", "
      << md(text(at(host, "cpus"))) << " CPUs, " << md(text(at(host, "root"))) << ") · profile "
      << md(name.empty() ? kDash : name) << " (sha256 " << md(digest) << ") · started "
      << md(text(at(report, "started_at"))) << ", " << md(num(at(report, "duration_s"))) << " s · transaction "
      << md(text(at(at(report, "transaction"), "id"))) << ", end state " << md(text(at(report, "end_state")))
      << " · tunectl " << md(text(at(report, "tunectl_version"))) << "\n";
  const json& reasons = at(outcome, "reasons");
  if (reasons.is_array() && !reasons.empty()) {
    out << "\n";
    for (const auto& r : reasons) out << "- " << md(text(r)) << "\n";
  }
}

void settings(std::ostream& out, const json& report) {
  out << "\n### Settings\n\n";
  std::vector<std::vector<std::string>> rows;
  const json& list = at(report, "settings");
  if (list.is_array())
    for (const auto& s : list) {
      std::string effect = text(at(s, "effect"));
      const json& detail = at(s, "effect_detail");
      if (detail.is_string() && !detail.get<std::string>().empty()) effect += ": " + detail.get<std::string>();
      rows.push_back({md(text(at(s, "knob"))), md(text(at(s, "before"))), md(text(at(s, "after"))), md(effect),
                      md(text(at(s, "why")))});
    }
  if (rows.empty()) rows.push_back({kDash, kDash, kDash, kDash, kDash});
  table(out, {"knob", "before", "after", "effect", "why"}, rows);
}

void benchmarks(std::ostream& out, const std::vector<BenchView>& benches) {
  out << "\n### Benchmarks\n\n";
  std::vector<std::vector<std::string>> rows;
  std::map<std::string, std::vector<std::string>> why;  // "bench: why" -> metrics, for inconclusive verdicts
  std::vector<std::string> why_order;
  for (const auto& b : benches) {
    if (!b.unavailable.empty()) {
      rows.push_back({md(b.bench), kDash, kDash, kDash, kDash, md("not run: " + b.unavailable)});
      continue;
    }
    for (const auto& m : b.metrics) {
      const json& row = *m.row;
      // The ratio cell is numbers and brackets made here: left unescaped so that it reads well as text.
      rows.push_back({md(b.bench), md(m.metric), with_unit(at(row, "median_a"), m.unit),
                      with_unit(at(row, "median_b"), m.unit), ratio_with_ci(at(row, "ratio"), at(row, "ci95")),
                      md(text(at(row, "verdict")))});
      if (at(row, "why").is_string() && at(row, "verdict") != "improved" && at(row, "verdict") != "regressed") {
        const std::string key = b.bench + ": " + row["why"].get<std::string>();
        if (!why.count(key)) why_order.push_back(key);
        why[key].push_back(m.metric);
      }
    }
  }
  if (rows.empty()) rows.push_back({kDash, kDash, kDash, kDash, kDash, kDash});
  table(out, {"bench", "metric", "before (median)", "after (median)", "ratio after/before [95% CI]", "verdict"}, rows);
  out << "\nRatio: after median / before median. 95% CI: bootstrap interval of the ratio; one that includes 1 "
         "is compatible with no change. Inconclusive: the runs cannot tell (too few, disturbed, or the CI "
         "reaches past the noise band).\n";
  for (const auto& key : why_order) {
    std::string metrics;
    for (const auto& m : why[key]) metrics += (metrics.empty() ? "" : ", ") + m;
    out << (key == why_order.front() ? "\n" : "") << "- " << md(key) << " (" << md(metrics) << ")\n";
  }
}

void expectations(std::ostream& out, const json& report) {
  out << "\n### Expectations\n\n";
  std::vector<std::vector<std::string>> rows;
  const json& list = at(report, "expectations");
  if (list.is_array())
    for (const auto& e : list) {
      std::string what = text(at(e, "bench")) + " " + text(at(e, "metric")) + " " + text(at(e, "expect"));
      if (auto min = number(at(e, "min_effect"))) what += " by at least " + num(*min * 100) + "%";
      if (at(e, "why").is_string()) what += " (" + e["why"].get<std::string>() + ")";
      rows.push_back({md(what), md(text(at(e, "verdict"))), md(text(at(e, "met"))), md(text(at(e, "reason")))});
    }
  if (rows.empty()) rows.push_back({kDash, kDash, kDash, kDash});
  table(out, {"expectation", "verdict", "met", "reason"}, rows);
}

}  // namespace

std::string render_audit_markdown(const json& report) {
  std::ostringstream out;
  summary(out, report);
  settings(out, report);
  const auto benches = bench_views(report);
  benchmarks(out, benches);
  expectations(out, report);
  out << "\n### Caveats\n\n";
  const auto list = caveats(report);
  if (list.empty()) out << "- none\n";
  for (const auto& c : list) out << "- " << md(c) << "\n";
  return out.str();
}

}  // namespace tunectl
