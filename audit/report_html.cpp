// The HTML rendering of an audit report (see report_html.h). Charts come from svg_charts.
#include "audit/report_html.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <vector>

#include "audit/report_fields.h"
#include "audit/svg_charts.h"

namespace tunectl {
namespace {

using namespace audit_report;

// Before: a muted blue; after: orange. Disturbed runs are hollow.
constexpr const char* kStyle = R"css(
:root { --before: #4e79a7; --after: #f28e2b; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: var(--ink); font: 15px/1.5 "DejaVu Sans", system-ui, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
.banner { border-radius: 8px; padding: 16px 20px; color: #fff; margin-bottom: 16px; }
.banner.pass { background: #1a7f37; } .banner.fail { background: #cf222e; } .banner.unknown { background: #6e7781; }
.banner .word { font-size: 26px; font-weight: bold; letter-spacing: 1px; margin-right: 12px; }
.banner .summary { font-size: 16px; }
.banner ul { margin: 8px 0 0; padding-left: 22px; }
.meta { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 14px; background: #fff;
        border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; font-size: 14px; }
.meta dt { color: var(--muted); } .meta dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 14px; border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f4; font-weight: 600; } tr:nth-child(even) td { background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font: 13px "DejaVu Sans Mono", monospace; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600;
           background: #eaeef2; color: #424a53; white-space: nowrap; }
.v-improved { background: #dafbe1; color: #116329; } .v-regressed { background: #ffebe9; color: #a40e26; }
.v-inconclusive { background: #fff8c5; color: #7d4e00; } .v-yes { background: #dafbe1; color: #116329; }
.v-no { background: #ffebe9; color: #a40e26; }
.help { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--before); border-radius: 6px;
        padding: 8px 14px; margin: 12px 0; font-size: 14px; } .help p { margin: 4px 0; }
.why { color: var(--muted); font-size: 13px; }
.cards { display: flex; flex-wrap: wrap; gap: 14px; }
figure.card { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px 4px; }
figure.card figcaption { font-size: 13px; line-height: 1.5; }
figure.card figcaption b { font-size: 14px; }
.legend { display: flex; gap: 18px; flex-wrap: wrap; font-size: 13px; color: var(--muted); margin: 6px 0 12px; }
.legend svg { vertical-align: middle; }
.scroll { display: inline-block; max-width: 100%; overflow-x: auto; background: #fff; border: 1px solid var(--line);
          border-radius: 8px; padding: 10px; }
svg.chart { display: block; font-family: "DejaVu Sans", sans-serif; }
svg .grid { stroke: #e6e9ed; stroke-width: 1; } svg .tick { font-size: 10px; fill: var(--muted); }
svg .unit, svg .none { font-size: 11px; fill: var(--muted); } svg .side-label { font-size: 12px; fill: var(--ink); }
svg .ref { stroke: var(--before); stroke-dasharray: 4 3; stroke-width: 1; opacity: .7; }
svg .whisker { stroke: #8c959f; stroke-width: 1.2; } svg .median { stroke: var(--ink); stroke-width: 2.5; }
svg .box[data-side=before], .key-before { fill: #dbe5f0; stroke: var(--before); }
svg .box[data-side=after], .key-after { fill: #fde3cb; stroke: var(--after); }
svg circle.run { stroke-width: 1.6; fill-opacity: .9; }
svg circle.run[data-side=before] { fill: var(--before); stroke: var(--before); }
svg circle.run[data-side=after] { fill: var(--after); stroke: var(--after); }
svg circle.run[data-disturbed] { fill: #fff; fill-opacity: 1; }
svg .pct-bar[data-side=before] { fill: var(--before); } svg .pct-bar[data-side=after] { fill: var(--after); }
svg .bar-value { font-size: 9.5px; fill: var(--ink); }
svg .cpu { font-size: 12px; fill: var(--muted); } svg .node-cpu { font-weight: bold; fill: var(--ink); }
svg .node-mark { fill: #8250df; } svg .irq-label { font-size: 12px; fill: var(--ink); }
svg .heat-value { font-size: 12px; fill: var(--ink); } svg .heat-value.dark { fill: #fff; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
)css";

std::string esc(const std::string& s) { return html_escape(s); }

std::string verdict_badge(const std::string& v) {
  std::string cls;
  for (const char c : v) cls += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return "<span class=\"verdict v-" + esc(cls) + "\">" + esc(v) + "</span>";
}

// A table whose cells are already HTML; `numeric` marks right-aligned columns.
void table(std::ostream& out, const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows,
           const std::vector<bool>& numeric = {}) {
  out << "<table><thead><tr>";
  for (const auto& h : head) out << "<th>" << h << "</th>";
  out << "</tr></thead><tbody>";
  for (const auto& r : rows) {
    out << "<tr>";
    for (size_t i = 0; i < r.size(); ++i)
      out << (i < numeric.size() && numeric[i] ? "<td class=\"num\">" : "<td>") << r[i] << "</td>";
    out << "</tr>";
  }
  out << "</tbody></table>\n";
}

std::string with_unit(const json& v, const std::string& unit) {
  const std::string n = num(v);
  return esc(n == kDash || unit.empty() ? n : n + " " + unit);
}

void banner(std::ostream& out, const json& report) {
  const std::string word = pass_word(report);
  const json& outcome = at(report, "outcome");
  out << "<header class=\"banner "
      << (word == "PASSED"   ? "pass"
          : word == "FAILED" ? "fail"
                             : "unknown")
      << "\"><span class=\"word\">" << word << "</span><span class=\"summary\">" << esc(summary_text(report))
      << "</span>";
  const json& reasons = at(outcome, "reasons");
  if (reasons.is_array() && !reasons.empty()) {
    out << "<ul>";
    for (const auto& r : reasons) out << "<li>" << esc(text(r)) << "</li>";
    out << "</ul>";
  }
  out << "</header>\n";
}

void meta(std::ostream& out, const json& report) {
  const json& host = at(report, "host");
  const json& profile = at(report, "profile");
  const std::string name = profile_name(report);
  const std::vector<std::pair<std::string, std::string>> items = {
      {"host", text(at(host, "hostname")) + " (" + text(at(host, "root")) + ")"},
      {"profile", (name.empty() ? std::string(kDash) : name) + ": " + text(at(profile, "description"))},
      {"kernel", text(at(host, "kernel")) + ", " + text(at(host, "cpus")) + " CPUs, " + text(at(host, "numa_nodes")) +
                     " NUMA node(s)"},
      {"profile sha256", text(at(profile, "digest")).substr(0, 16)},
      {"started", text(at(report, "started_at")) + " (" + num(at(report, "duration_s")) + " s)"},
      {"transaction", text(at(at(report, "transaction"), "id")) + ", end state " + text(at(report, "end_state"))},
  };
  out << "<dl class=\"meta\">";
  for (const auto& [k, v] : items) out << "<dt>" << esc(k) << "</dt><dd>" << esc(v) << "</dd>";
  out << "</dl>\n";
}

void settings(std::ostream& out, const json& report) {
  out << "<h2>Settings</h2>\n";
  std::vector<std::vector<std::string>> rows;
  const json& list = at(report, "settings");
  if (list.is_array())
    for (const auto& s : list) {
      std::string effect = verdict_badge(text(at(s, "effect")));
      const json& detail = at(s, "effect_detail");
      if (detail.is_string() && !detail.get<std::string>().empty())
        effect += " <span class=\"why\">" + esc(detail.get<std::string>()) + "</span>";
      rows.push_back({"<code>" + esc(text(at(s, "knob"))) + "</code>", esc(text(at(s, "before"))),
                      esc(text(at(s, "after"))), effect, "<span class=\"why\">" + esc(text(at(s, "why"))) + "</span>"});
    }
  if (rows.empty()) rows.push_back({kDash, kDash, kDash, kDash, kDash});
  table(out, {"knob", "before", "after", "effect", "why"}, rows);
}

void benchmarks(std::ostream& out, const std::vector<BenchView>& benches) {
  out << "<h2>Benchmarks</h2>\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : benches) {
    if (!b.unavailable.empty()) {
      rows.push_back({esc(b.bench), kDash, kDash, kDash, kDash,
                      verdict_badge("not run") + " <span class=\"why\">" + esc(b.unavailable) + "</span>"});
      continue;
    }
    for (const auto& m : b.metrics) {
      const json& row = *m.row;
      rows.push_back(
          {esc(b.bench), "<code>" + esc(m.metric) + "</code>", with_unit(at(row, "median_a"), m.unit),
           with_unit(at(row, "median_b"), m.unit), esc(ratio_with_ci(at(row, "ratio"), at(row, "ci95"))),
           "<span title=\"" + esc(text(at(row, "why"))) + "\">" + verdict_badge(text(at(row, "verdict"))) + "</span>"});
    }
  }
  if (rows.empty()) rows.push_back({kDash, kDash, kDash, kDash, kDash, kDash});
  table(out, {"bench", "metric", "before (median)", "after (median)", "ratio after/before [95% CI]", "verdict"}, rows,
        {false, false, true, true, true, false});
  out << "<div class=\"help\"><p><b>Ratio</b>: the median of the runs after the change divided by the median before; "
         "above 1 means the value grew (good when higher is better, bad for latencies).</p>"
         "<p><b>95% CI</b>: bootstrap confidence interval of that ratio. One that includes 1 is compatible with no "
         "change; one entirely beyond the noise band is a real difference.</p>"
         "<p><b>Inconclusive</b>: the runs cannot tell: too few of them, too many disturbed by other load on the "
         "host, or a CI reaching past the noise band. It is not a \"no change\"; rerun with more rounds on a quiet "
         "host.</p></div>\n";
}

void expectations(std::ostream& out, const json& report) {
  out << "<h2>Expectations</h2>\n";
  std::vector<std::vector<std::string>> rows;
  const json& list = at(report, "expectations");
  if (list.is_array())
    for (const auto& e : list) {
      std::string what =
          "<code>" + esc(text(at(e, "bench")) + " " + text(at(e, "metric"))) + "</code> " + esc(text(at(e, "expect")));
      if (auto min = number(at(e, "min_effect"))) what += esc(" by at least " + num(*min * 100) + "%");
      if (at(e, "why").is_string()) what += "<br><span class=\"why\">" + esc(e["why"].get<std::string>()) + "</span>";
      rows.push_back(
          {what, verdict_badge(text(at(e, "verdict"))), verdict_badge(text(at(e, "met"))), esc(text(at(e, "reason")))});
    }
  if (rows.empty()) rows.push_back({kDash, kDash, kDash, kDash});
  table(out, {"expectation", "verdict", "met", "reason"}, rows);
}

// "p50" from the token "p50", "p99.9" from "p999"; nullopt for a token that is no percentile.
std::optional<std::pair<double, std::string>> percentile(const std::string& token) {
  if (token.size() < 2 || token[0] != 'p' ||
      !std::all_of(token.begin() + 1, token.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
    return std::nullopt;
  const std::string d = token.substr(1);
  const std::string label = d.size() > 2 ? d.substr(0, 2) + "." + d.substr(2) : d;
  return std::make_pair(std::stod(label), "p" + label);
}

double median_of(const std::vector<RunPoint>& runs) {
  std::vector<double> v;
  for (const auto& r : runs) v.push_back(r.value);
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Latency percentile charts of one benchmark: metrics named like rtt_p50_us, grouped by the rest of
// the name (rtt_*_us), two or more percentiles per group.
void percentile_charts(std::ostream& out, const BenchView& b) {
  std::map<std::string, std::vector<std::pair<double, PercentileBar>>> groups;
  std::map<std::string, std::string> units;
  for (const auto& m : b.metrics) {
    std::vector<std::string> tokens;
    std::istringstream in(m.metric);
    for (std::string t; std::getline(in, t, '_');) tokens.push_back(t);
    for (size_t i = 0; i < tokens.size(); ++i) {
      const auto p = percentile(tokens[i]);
      if (!p) continue;
      std::string key;
      for (size_t j = 0; j < tokens.size(); ++j) key += (j ? "_" : "") + (j == i ? std::string("*") : tokens[j]);
      PercentileBar bar{m.metric, p->second, number(at(*m.row, "median_a")), number(at(*m.row, "median_b"))};
      if (!bar.before && !m.before.empty()) bar.before = median_of(m.before);
      if (!bar.after && !m.after.empty()) bar.after = median_of(m.after);
      groups[key].push_back({p->first, bar});
      units[key] = m.unit;
      break;
    }
  }
  for (auto& [key, entries] : groups) {
    if (entries.size() < 2) continue;
    std::sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<PercentileBar> bars;
    for (const auto& e : entries) bars.push_back(e.second);
    out << "<figure class=\"card\"><figcaption><b>" << esc(key) << "</b>: latency percentiles, median of the runs "
        << "before and after</figcaption>" << percentile_chart(b.bench, units[key], bars) << "</figure>\n";
  }
}

void legend(std::ostream& out) {
  out << "<div class=\"legend\">"
         "<span><svg width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"5\" fill=\"#4e79a7\"/></svg> "
         "before</span>"
         "<span><svg width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"5\" fill=\"#f28e2b\"/></svg> after</span>"
         "<span><svg width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"4.5\" fill=\"#fff\" stroke=\"#59636e\" "
         "stroke-width=\"1.6\"/></svg> disturbed run (other load on the host)</span>"
         "<span><svg width=\"22\" height=\"14\"><rect class=\"key-before\" x=\"2\" y=\"2\" width=\"18\" height=\"10\"/>"
         "<line x1=\"0\" x2=\"22\" y1=\"7\" y2=\"7\" stroke=\"#1f2328\" stroke-width=\"2.5\"/></svg> quartiles and "
         "median, whisker min to max</span>"
         "<span><svg width=\"22\" height=\"14\"><line x1=\"0\" x2=\"22\" y1=\"7\" y2=\"7\" stroke=\"#4e79a7\" "
         "stroke-dasharray=\"4 3\"/></svg> before median</span></div>\n";
}

void charts(std::ostream& out, const std::vector<BenchView>& benches) {
  out << "<h2>Runs before and after</h2>\n";
  legend(out);
  for (const auto& b : benches) {
    if (!b.unavailable.empty() || b.metrics.empty()) continue;
    out << "<section class=\"bench\" data-bench=\"" << esc(b.bench) << "\"><h3>" << esc(b.bench)
        << "</h3><div class=\"cards\">\n";
    for (const auto& m : b.metrics) {
      const std::string direction = !m.higher_is_better   ? ""
                                    : *m.higher_is_better ? " (higher is better)"
                                                          : " (lower is better)";
      out << "<figure class=\"card\"><figcaption><b>" << esc(m.metric) << "</b>" << esc(direction) << "<br>ratio "
          << esc(ratio_with_ci(at(*m.row, "ratio"), at(*m.row, "ci95"))) << " "
          << verdict_badge(text(at(*m.row, "verdict"))) << "</figcaption>" << distribution_chart(b.bench, m)
          << "</figure>\n";
    }
    percentile_charts(out, b);
    out << "</div></section>\n";
  }
}

void heatmap(std::ostream& out, const json& report) {
  const json& h = at(report, "irq_heatmap");
  const std::string svg = irq_heatmap_chart(h);
  if (svg.empty()) return;
  out << "<h2>Interrupts per CPU during the audit</h2>\n<p class=\"why\">Rows: the IRQs of NIC "
      << esc(text(at(h, "nic"))) << "; columns: CPUs; a cell is the number of interrupts the CPU handled "
      << "(darker: more). &#9660; marks the CPUs of the NIC's NUMA node " << esc(text(at(h, "numa_node")))
      << ", where its interrupts are cheapest.</p>\n<div class=\"scroll\">" << svg << "</div>\n";
}

}  // namespace

std::string render_audit_html(const json& report) {
  std::ostringstream out;
  const std::string name = profile_name(report);
  const std::string title = "tunectl audit: " + (name.empty() ? std::string(kDash) : name) + " on " +
                            text(at(at(report, "host"), "hostname")) + ", " + pass_word(report);
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" << esc(title)
      << "</title>\n<style>" << kStyle << "</style></head>\n<body><main>\n<h1>" << esc(title) << "</h1>\n";
  banner(out, report);
  meta(out, report);
  settings(out, report);
  const auto benches = bench_views(report);
  benchmarks(out, benches);
  expectations(out, report);
  out << "<h2>Caveats</h2>\n<ul>";
  const auto list = caveats(report);
  if (list.empty()) out << "<li>none</li>";
  for (const auto& c : list) out << "<li>" << esc(c) << "</li>";
  out << "</ul>\n";
  charts(out, benches);
  heatmap(out, report);
  out << "<footer>"
      << esc("schema " + text(at(report, "schema")) + " · tunectl " + text(at(report, "tunectl_version")) +
             " · finished " + text(at(report, "finished_at")))
      << "</footer>\n</main></body></html>\n";
  return out.str();
}

}  // namespace tunectl
