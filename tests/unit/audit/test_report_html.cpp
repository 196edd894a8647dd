// audit/report_html + svg_charts: the one-page HTML report of the sample: one chart mark per run
// and side, hollow disturbed runs, the percentile and IRQ charts, the tables, no script or external
// reference, everything from the report escaped, nulls as dashes.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "audit/report_html.h"
#include "tests/unit/audit/audit_sample.h"

namespace tunectl {
namespace {

using test::audit_sample;
using test::count_of;
using Attrs = std::map<std::string, std::string>;

// The attributes of every <tag ...> element in `html`, in document order.
std::vector<Attrs> elements(const std::string& html, const std::string& tag) {
  std::vector<Attrs> out;
  const std::regex element("<" + tag + "\\s([^>]*)>");
  const std::regex attr("([a-zA-Z_:][-a-zA-Z0-9_:.]*)=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), element); it != std::sregex_iterator(); ++it) {
    Attrs a;
    const std::string body = (*it)[1];
    for (auto m = std::sregex_iterator(body.begin(), body.end(), attr); m != std::sregex_iterator(); ++m)
      a[(*m)[1]] = (*m)[2];
    out.push_back(a);
  }
  return out;
}

size_t count_where(const std::vector<Attrs>& els, const Attrs& want) {
  size_t n = 0;
  for (const auto& e : els) {
    bool all = true;
    for (const auto& [k, v] : want) all = all && e.count(k) && e.at(k) == v;
    n += all;
  }
  return n;
}

TEST(AuditHtml, DrawsOneRunMarkPerRunAndSideForEveryMetric) {
  const json r = audit_sample();
  const std::string html = render_audit_html(r);
  const auto circles = elements(html, "circle");
  size_t total = 0;
  const json& bench = r["benchmarks"][0];
  ASSERT_EQ(bench["comparison"]["metrics"].size(), 5u);
  for (const auto& row : bench["comparison"]["metrics"]) {
    const std::string metric = row["metric"];
    const size_t a = bench["a"]["metrics"][metric]["runs"].size(), b = bench["b"]["metrics"][metric]["runs"].size();
    EXPECT_EQ(count_where(circles, {{"class", "run"}, {"data-bench", "tcp_rr"}, {"data-metric", metric}}), a + b)
        << metric;
    EXPECT_EQ(count_where(circles, {{"class", "run"}, {"data-metric", metric}, {"data-side", "before"}}), a) << metric;
    EXPECT_EQ(count_where(circles, {{"class", "run"}, {"data-metric", metric}, {"data-side", "after"}}), b) << metric;
    // A box and a median line per side.
    EXPECT_EQ(count_where(elements(html, "rect"), {{"class", "box"}, {"data-metric", metric}}), 2u) << metric;
    EXPECT_EQ(count_where(elements(html, "line"), {{"class", "median"}, {"data-metric", metric}}), 2u) << metric;
    total += a + b;
  }
  EXPECT_EQ(total, 50u);
  EXPECT_EQ(count_of(html, "<circle class=\"run\""), total);
}

TEST(AuditHtml, DisturbedRunsAreHollowAndOnlyThose) {
  json r = audit_sample();
  // Every run of the sample is disturbed.
  EXPECT_EQ(count_where(elements(render_audit_html(r), "circle"), {{"class", "run"}, {"data-disturbed", "true"}}), 50u);
  // Run 1 before and runs 0 and 4 after undisturbed: 3 runs x 5 metrics fewer.
  auto& a = r["benchmarks"][0]["a"];
  auto& b = r["benchmarks"][0]["b"];
  a["runs"][1]["disturbed"] = nullptr;
  a["env"]["disturbed_runs"].erase(1);
  for (int i : {4, 0}) {
    b["runs"][i]["disturbed"] = nullptr;
    b["env"]["disturbed_runs"].erase(static_cast<size_t>(i));
  }
  const auto circles = elements(render_audit_html(r), "circle");
  EXPECT_EQ(count_where(circles, {{"class", "run"}, {"data-disturbed", "true"}}), 35u);
  EXPECT_EQ(count_where(circles, {{"class", "run"}, {"data-side", "before"}, {"data-disturbed", "true"}}), 20u);
  EXPECT_EQ(count_where(circles, {{"class", "run"}, {"data-side", "after"}, {"data-disturbed", "true"}}), 15u);
}

TEST(AuditHtml, LatencyPercentilesGetAGroupedChartInPercentileOrder) {
  const std::string html = render_audit_html(audit_sample());
  const auto bars = elements(html, "rect");
  EXPECT_EQ(count_where(bars, {{"class", "pct-bar"}}), 8u);  // p50 p90 p99 p99.9, before and after; not tps
  for (const char* m : {"rtt_p50_us", "rtt_p90_us", "rtt_p99_us", "rtt_p999_us"})
    for (const char* side : {"before", "after"})
      EXPECT_EQ(count_where(bars, {{"class", "pct-bar"}, {"data-metric", m}, {"data-side", side}}), 1u) << m << side;
  EXPECT_EQ(count_where(bars, {{"class", "pct-bar"}, {"data-metric", "tps"}}), 0u);
  const size_t p50 = html.find(">p50</text>"), p90 = html.find(">p90</text>"), p99 = html.find(">p99</text>"),
               p999 = html.find(">p99.9</text>");
  ASSERT_NE(p999, std::string::npos);
  EXPECT_LT(p50, p90);
  EXPECT_LT(p90, p99);
  EXPECT_LT(p99, p999);
  EXPECT_NE(html.find("<b>rtt_*_us</b>"), std::string::npos);
}

TEST(AuditHtml, IrqHeatMapHasACellPerIrqAndCpuWithTheNodeCpusMarked) {
  json r = audit_sample();
  std::string html = render_audit_html(r);
  const auto cells = elements(html, "rect");
  EXPECT_EQ(count_where(cells, {{"class", "heat-cell"}}), 4u);
  EXPECT_EQ(count_where(cells, {{"class", "heat-cell"}, {"data-irq", "25"}, {"data-cpu", "0"}}), 1u);
  EXPECT_NE(html.find("IRQ 25 virtio0-input.0 (rx q0) on CPU 0: 650 interrupts"), std::string::npos);
  EXPECT_EQ(count_where(elements(html, "path"), {{"class", "node-mark"}}), 2u);
  r["irq_heatmap"]["node_cpus"] = {1};
  html = render_audit_html(r);
  EXPECT_EQ(count_where(elements(html, "path"), {{"class", "node-mark"}, {"data-cpu", "1"}}), 1u);
  EXPECT_EQ(count_where(elements(html, "path"), {{"class", "node-mark"}}), 1u);
  r["irq_heatmap"] = nullptr;
  html = render_audit_html(r);
  EXPECT_EQ(html.find("heat-cell"), std::string::npos);
  EXPECT_EQ(html.find("Interrupts per CPU"), std::string::npos);
}

TEST(AuditHtml, HasTheTablesBannerAndExplanations) {
  json r = audit_sample();
  std::string html = render_audit_html(r);
  EXPECT_NE(html.find("<header class=\"banner fail\"><span class=\"word\">FAILED</span>"), std::string::npos);
  EXPECT_NE(html.find("<td><code>sysctl:net.ipv4.tcp_keepalive_time</code></td><td>7200</td><td>30</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">111.7 us</td><td class=\"num\">117.5 us</td><td class=\"num\">1.051 "
                      "[0.869, 1.217]</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<b>Ratio</b>"), std::string::npos);
  EXPECT_NE(html.find("<b>95% CI</b>"), std::string::npos);
  EXPECT_NE(html.find("<b>Inconclusive</b>"), std::string::npos);
  EXPECT_NE(html.find("<li>noise band: default 5% (uncalibrated; run tunectl bench calibrate)</li>"),
            std::string::npos);
  r["outcome"]["passed"] = true;
  EXPECT_NE(render_audit_html(r).find("<header class=\"banner pass\"><span class=\"word\">PASSED</span>"),
            std::string::npos);
}

TEST(AuditHtml, IsSelfContainedWithoutScript) {
  const std::string html = render_audit_html(audit_sample());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  const std::string lower = [&] {
    std::string s = html;
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }();
  EXPECT_EQ(lower.find("<script"), std::string::npos);
  EXPECT_EQ(lower.find("javascript:"), std::string::npos);
  EXPECT_FALSE(std::regex_search(lower, std::regex("\\son[a-z]+\\s*=")));  // no event handler attributes
  EXPECT_FALSE(std::regex_search(lower, std::regex("(src|href)\\s*=")));   // nothing loaded or linked
  EXPECT_EQ(lower.find("@import"), std::string::npos);
  EXPECT_EQ(lower.find("url("), std::string::npos);
  EXPECT_NE(html.find("content=\"default-src 'none'; style-src 'unsafe-inline'\""), std::string::npos);
}

TEST(AuditHtml, EscapesEverythingFromTheReport) {
  json r = audit_sample();
  r["profile"]["name"] = "<script>alert(1)</script>";
  r["outcome"]["summary"] = "failed: <img src=x onerror=alert(1)>";
  auto& row = r["benchmarks"][0]["comparison"]["metrics"][0];
  row["why"] = "\"><script>alert(2)</script>";
  r["settings"][0]["knob"] = "a'b&c";
  r["irq_heatmap"]["irqs"][0]["name"] = "<b>q</b>";
  r["benchmarks"][0]["bench"] = "x\"y";
  const std::string html = render_audit_html(r);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>q</b>"), std::string::npos);
  EXPECT_NE(html.find("tunectl audit: &lt;script&gt;alert(1)&lt;/script&gt; on web-17, FAILED"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("title=\"&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;\""), std::string::npos);
  EXPECT_NE(html.find("<code>a&#39;b&amp;c</code>"), std::string::npos);
  EXPECT_NE(html.find("data-bench=\"x&quot;y\""), std::string::npos);
}

TEST(AuditHtml, NullsPrintAsADashAndUnavailableBenchmarksAreListed) {
  json r = audit_sample();
  auto& row = r["benchmarks"][0]["comparison"]["metrics"][0];
  row["ratio"] = nullptr;
  row["ci95"] = nullptr;
  row["median_a"] = nullptr;
  r["benchmarks"].push_back({{"bench", "tcp_crr"}, {"unavailable", "needs <root>"}, {"a", nullptr}});
  const std::string html = render_audit_html(r);
  EXPECT_NE(html.find("<td><code>rtt_p50_us</code></td><td class=\"num\">\u2013</td><td class=\"num\">117.5 us</td>"
                      "<td class=\"num\">\u2013</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td>tcp_crr</td>"), std::string::npos);
  EXPECT_NE(html.find("needs &lt;root&gt;"), std::string::npos);
  EXPECT_EQ(html.find("data-bench=\"tcp_crr\""), std::string::npos);  // no chart for what did not run
  EXPECT_FALSE(std::regex_search(html, std::regex("\\b(null|nan|NaN|inf)\\b")));
}

// Extreme but finite numbers: no endless tick loop, no "nan" coordinate (a console error in a browser).
TEST(AuditHtml, ChartsSurviveExtremeValues) {
  json r = audit_sample();
  auto& a = r["benchmarks"][0]["a"]["metrics"];
  auto& b = r["benchmarks"][0]["b"]["metrics"];
  a["tps"]["runs"] = {1e17, 1e17 + 16, 1e17};
  b["tps"]["runs"] = {1e17};
  a["rtt_p50_us"]["runs"] = {-1e308, 1e308};
  b["rtt_p50_us"]["runs"] = {0, 0, 0};
  auto& rows = r["benchmarks"][0]["comparison"]["metrics"];
  rows[0]["median_a"] = 5e-324;  // rtt_p50_us: the percentile chart goes log from the smallest to
  rows[2]["median_b"] = 1e308;   // rtt_p999_us: the largest double
  r["irq_heatmap"]["irqs"][0]["delta"] = {1e308, -5};
  const std::string html = render_audit_html(r);
  EXPECT_FALSE(std::regex_search(html, std::regex("=\"[^\"]*(nan|inf)[^\"]*\"", std::regex::icase)));
  EXPECT_EQ(count_where(elements(html, "circle"), {{"class", "run"}, {"data-metric", "tps"}}), 4u);
}

}  // namespace
}  // namespace tunectl
