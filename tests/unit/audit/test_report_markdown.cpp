// audit/report_markdown: the Markdown a reviewer pastes into a change request, from the sample
// report: the summary line, the table rows, escaping of hostile text, and dashes for nulls. Also the
// robustness all renderers share: any field missing or of the wrong type renders, never throws.
#include <gtest/gtest.h>

#include <sstream>

#include "audit/prometheus.h"
#include "audit/report_html.h"
#include "audit/report_markdown.h"
#include "tests/unit/audit/audit_sample.h"

namespace tunectl {
namespace {

using test::audit_sample;
using test::count_of;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The cells of a table row ("| a | b \| c |" -> a, "b \| c"): split on pipes not escaped.
std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 1; i < row.size(); ++i) {
    if (row[i] == '\\' && i + 1 < row.size()) {
      cur += row.substr(i, 2);
      ++i;
    } else if (row[i] == '|') {
      out.push_back(cur.substr(1, cur.size() - 2));  // drop the padding spaces
      cur.clear();
    } else {
      cur += row[i];
    }
  }
  return out;
}

TEST(AuditMarkdown, StartsWithTheVerdictAndWhyThenHostAndProfile) {
  const auto lines = lines_of(render_audit_markdown(audit_sample()));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "**FAILED**: expectation tcp_rr rtt_p50_us improved by at least 5% not shown (inconclusive: too many "
            "disturbed runs); profile rolled back");
  EXPECT_EQ(lines[1], "");
  EXPECT_NE(lines[2].find("Host web-17 (kernel 6.1.0-28-amd64, 2 CPUs, live host)"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("profile low-latency-net (sha256 3f9a3f9a3f9a)"), std::string::npos) << lines[2];
  json passed = audit_sample();
  passed["outcome"] = {{"passed", true}, {"summary", "passed: 1 expectation met"}};
  EXPECT_EQ(lines_of(render_audit_markdown(passed))[0], "**PASSED**: 1 expectation met");
}

TEST(AuditMarkdown, HasTheSettingsBenchmarkAndExpectationRowsOfTheSample) {
  const std::string md = render_audit_markdown(audit_sample());
  EXPECT_NE(md.find("| knob | before | after | effect | why |\n| --- | --- | --- | --- | --- |\n"
                    "| sysctl:net.ipv4.tcp_keepalive_time | 7200 | 30 | ok | dead peers found in 30 s |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| tcp_rr | rtt_p50_us | 111.7 us | 117.5 us | 1.051 [0.869, 1.217] | inconclusive |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| tcp_rr | tps | 3565 1/s | 3665 1/s | 1.028 [0.938, 1.078] | inconclusive |\n"),
            std::string::npos)
      << md;
  EXPECT_EQ(count_of(md, "| tcp_rr | "), 5u);  // one row per compared metric
  EXPECT_NE(md.find("| tcp_rr rtt_p50_us improved by at least 5% (busy polling cuts wakeup latency) | inconclusive "
                    "| no | expected improved by at least 5%, got inconclusive |\n"),
            std::string::npos)
      << md;
}

TEST(AuditMarkdown, CaveatsNameTheNoiseBandDisturbedRunsAndUnavailableBenchmarks) {
  json r = audit_sample();
  std::string md = render_audit_markdown(r);
  const std::string caveats = md.substr(md.find("### Caveats"));
  EXPECT_NE(caveats.find("- noise band: default 5% (uncalibrated; run tunectl bench calibrate)\n"), std::string::npos);
  EXPECT_NE(caveats.find("- tcp_rr: 5 of 5 runs of A were disturbed (busy host)"), std::string::npos);
  // Without the report's own caveats, the renderer says what the data implies.
  r.erase("caveats");
  r["benchmarks"].push_back({{"bench", "tcp_crr"}, {"unavailable", "needs root"}});
  md = render_audit_markdown(r);
  EXPECT_NE(md.find("- tcp_rr: noise band default 5% (uncalibrated for tcp_rr"), std::string::npos) << md;
  EXPECT_NE(md.find("- tcp_rr: disturbed runs (other load on the host): 5 of 5 before, 5 of 5 after\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- tcp_crr: not run (needs root)\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| tcp_crr | \u2013 | \u2013 | \u2013 | \u2013 | not run: needs root |\n"), std::string::npos)
      << md;
}

TEST(AuditMarkdown, EscapesPipesAndMarkupFromTheReport) {
  json r = audit_sample();
  r["profile"]["name"] = "<script>alert(1)</script>|x";
  r["settings"][0]["knob"] = "sysctl:a|b";
  r["settings"][0]["why"] = "line one\nline two";
  const std::string md = render_audit_markdown(r);
  EXPECT_EQ(md.find("<script>"), std::string::npos) << md;
  EXPECT_NE(md.find("profile \\<script\\>alert(1)\\</script\\>\\|x"), std::string::npos) << md;
  const auto lines = lines_of(md);
  const auto row =
      std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("| sysctl:a", 0) == 0; });
  ASSERT_NE(row, lines.end()) << md;
  EXPECT_EQ(cells(*row), (std::vector<std::string>{"sysctl:a\\|b", "7200", "30", "ok", "line one line two"}));
}

TEST(AuditMarkdown, NullsPrintAsADash) {
  json r = audit_sample();
  auto& row = r["benchmarks"][0]["comparison"]["metrics"][0];
  row["ratio"] = nullptr;
  row["ci95"] = nullptr;
  row["median_b"] = nullptr;
  r["settings"][0]["before"] = nullptr;
  r["irq_heatmap"] = nullptr;
  r["outcome"]["passed"] = nullptr;
  const std::string md = render_audit_markdown(r);
  EXPECT_NE(md.find("| tcp_rr | rtt_p50_us | 111.7 us | \u2013 | \u2013 | inconclusive |\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| sysctl:net.ipv4.tcp_keepalive_time | \u2013 | 30 |"), std::string::npos) << md;
  EXPECT_EQ(md.rfind("**UNKNOWN**", 0), 0u) << md;
  EXPECT_EQ(md.find("null"), std::string::npos);
}

// Every renderer takes any JSON: each top-level key removed, or replaced by a value of another type,
// and the document itself not an object.
TEST(AuditRenderers, NeverThrowOnAReportOfTheWrongShape) {
  const json sample = audit_sample();
  std::vector<json> docs = {json(), json::array(), json("x"), json::object(), json(42)};
  for (const auto& [key, value] : sample.items()) {
    for (const json& other : {json(), json(7), json("s"), json::array({1, "x", nullptr}), json::object()}) {
      json d = sample;
      d[key] = other;
      docs.push_back(d);
    }
    json d = sample;
    d.erase(key);
    docs.push_back(d);
  }
  // And one level down inside the benchmark, where the charts look.
  for (const auto& [key, value] : sample["benchmarks"][0].items()) {
    json d = sample;
    d["benchmarks"][0][key] = json::array({nullptr, 1});
    docs.push_back(d);
  }
  for (const auto& d : docs) {
    EXPECT_NO_THROW(render_audit_markdown(d)) << d.dump().substr(0, 200);
    EXPECT_NO_THROW(render_audit_html(d)) << d.dump().substr(0, 200);
    EXPECT_NO_THROW(render_audit_prometheus(d)) << d.dump().substr(0, 200);
  }
  EXPECT_EQ(render_audit_markdown(json()).rfind("**UNKNOWN**: \u2013\n", 0), 0u);
}

}  // namespace
}  // namespace tunectl
