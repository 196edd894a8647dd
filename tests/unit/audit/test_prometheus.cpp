// audit/prometheus: the node_exporter textfile of the sample report parses line by line (HELP and
// TYPE once per family, before its samples, samples of a family together, `name{labels} value`),
// holds the sample's numbers, escapes label values and leaves null numbers out.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "audit/prometheus.h"
#include "tests/unit/audit/audit_sample.h"

namespace tunectl {
namespace {

using test::audit_sample;

struct Parsed {
  std::map<std::string, double> samples;  // "name{labels}" -> value
  std::vector<std::string> families;      // in order of their TYPE line
};

// Parses the exposition text strictly; every violation is a test failure naming the line.
Parsed parse(const std::string& text) {
  static const std::regex help("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \\S.*");
  static const std::regex type("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) gauge");
  static const std::string label = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"";
  static const std::regex sample("([a-zA-Z_:][a-zA-Z0-9_:]*)\\{(" + label + "(?:," + label + ")*)\\} (\\S+)");
  Parsed p;
  std::set<std::string> helped, typed, closed;
  std::string current;
  std::istringstream in(text);
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_match(line, m, help)) {
      EXPECT_TRUE(helped.insert(m[1]).second) << "second HELP: " << line;
      continue;
    }
    if (std::regex_match(line, m, type)) {
      EXPECT_TRUE(typed.insert(m[1]).second) << "second TYPE: " << line;
      EXPECT_TRUE(helped.count(m[1])) << "TYPE before HELP: " << line;
      if (!current.empty()) closed.insert(current);
      current = m[1];
      p.families.push_back(current);
      continue;
    }
    if (!std::regex_match(line, m, sample)) {
      ADD_FAILURE() << "not a sample line: " << line;
      continue;
    }
    EXPECT_EQ(m[1], current) << "sample outside its family's block: " << line;
    EXPECT_FALSE(closed.count(m[1])) << "family continued after another: " << line;
    char* end = nullptr;
    const std::string value = m[3];
    const double v = std::strtod(value.c_str(), &end);
    EXPECT_TRUE(end && *end == '\0' && std::isfinite(v)) << "value: " << line;
    const std::string series = line.substr(0, line.rfind(' '));
    EXPECT_TRUE(p.samples.emplace(series, v).second) << "duplicate series: " << line;
  }
  EXPECT_EQ(helped, typed);
  return p;
}

TEST(AuditPrometheus, EveryLineParsesAndEachFamilyIsDeclaredOnce) {
  const std::string text = render_audit_prometheus(audit_sample());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const Parsed p = parse(text);
  EXPECT_EQ(p.families,
            (std::vector<std::string>{
                "tunectl_audit_passed", "tunectl_audit_timestamp_seconds", "tunectl_audit_duration_seconds",
                "tunectl_audit_runs", "tunectl_audit_disturbed_runs", "tunectl_audit_median", "tunectl_audit_ratio",
                "tunectl_audit_ratio_ci95", "tunectl_audit_verdict", "tunectl_audit_expectation_met"}));
  EXPECT_EQ(p.samples.size(), 3u + 2 + 2 + 10 + 5 + 10 + 20 + 1);
}

TEST(AuditPrometheus, HoldsTheSampleReportsNumbers) {
  const Parsed p = parse(render_audit_prometheus(audit_sample()));
  const std::string l = "profile=\"low-latency-net\"";
  const std::map<std::string, double> want = {
      {"tunectl_audit_passed{" + l + "}", 0},
      {"tunectl_audit_timestamp_seconds{" + l + "}", 1796080351.5},  // 2026-11-30T23:12:31.5Z
      {"tunectl_audit_duration_seconds{" + l + "}", 151.5},
      {"tunectl_audit_runs{" + l + ",bench=\"tcp_rr\",side=\"after\"}", 5},
      {"tunectl_audit_disturbed_runs{" + l + ",bench=\"tcp_rr\",side=\"before\"}", 5},
      {"tunectl_audit_median{" + l + ",bench=\"tcp_rr\",metric=\"rtt_p50_us\",side=\"before\"}", 111.7065},
      {"tunectl_audit_median{" + l + ",bench=\"tcp_rr\",metric=\"rtt_p50_us\",side=\"after\"}", 117.452},
      {"tunectl_audit_ratio{" + l + ",bench=\"tcp_rr\",metric=\"tps\"}", 1.0280249830666888},
      {"tunectl_audit_ratio_ci95{" + l + ",bench=\"tcp_rr\",metric=\"tps\",bound=\"lower\"}", 0.9377321059769355},
      {"tunectl_audit_verdict{" + l + ",bench=\"tcp_rr\",metric=\"tps\",verdict=\"inconclusive\"}", 1},
      {"tunectl_audit_verdict{" + l + ",bench=\"tcp_rr\",metric=\"tps\",verdict=\"improved\"}", 0},
      {"tunectl_audit_verdict{" + l + ",bench=\"tcp_rr\",metric=\"tps\",verdict=\"no change\"}", 0},
      {"tunectl_audit_expectation_met{" + l + ",bench=\"tcp_rr\",metric=\"rtt_p50_us\",expect=\"improved\"}", 0},
  };
  for (const auto& [series, value] : want) {
    ASSERT_TRUE(p.samples.count(series)) << series;
    EXPECT_EQ(p.samples.at(series), value) << series;  // exact: the text reads back the same double
  }
}

TEST(AuditPrometheus, EscapesLabelValues) {
  json r = audit_sample();
  r["profile"]["name"] = "a\"b\\c\nd";
  const std::string text = render_audit_prometheus(r);
  parse(text);
  EXPECT_NE(text.find("tunectl_audit_passed{profile=\"a\\\"b\\\\c\\nd\"} 0\n"), std::string::npos) << text;
}

TEST(AuditPrometheus, LeavesNullNumbersOutInsteadOfWritingNaN) {
  json r = audit_sample();
  auto& row = r["benchmarks"][0]["comparison"]["metrics"][0];  // rtt_p50_us
  row["ratio"] = nullptr;
  row["ci95"] = nullptr;
  row["median_b"] = nullptr;
  r["duration_s"] = nullptr;
  r["outcome"]["passed"] = nullptr;
  r["finished_at"] = "not a time";
  r["started_at"] = nullptr;
  r["benchmarks"].push_back({{"bench", "tcp_crr"}, {"unavailable", "needs root"}});
  const std::string text = render_audit_prometheus(r);
  const Parsed p = parse(text);
  EXPECT_EQ(text.find("NaN"), std::string::npos);
  EXPECT_EQ(text.find("nan"), std::string::npos);
  EXPECT_EQ(text.find("metric=\"rtt_p50_us\"}"), std::string::npos);  // no ratio for it
  EXPECT_EQ(text.find("metric=\"rtt_p50_us\",bound="), std::string::npos);
  EXPECT_EQ(text.find("metric=\"rtt_p50_us\",side=\"after\""), std::string::npos);
  EXPECT_NE(text.find("metric=\"rtt_p50_us\",side=\"before\"} 111.7065\n"), std::string::npos);
  for (const char* gone : {"tunectl_audit_passed", "tunectl_audit_timestamp_seconds", "tunectl_audit_duration_seconds"})
    EXPECT_EQ(text.find(gone), std::string::npos) << gone;  // no HELP/TYPE for an empty family either
  EXPECT_EQ(p.samples.at("tunectl_audit_benchmark_unavailable{profile=\"low-latency-net\",bench=\"tcp_crr\"}"), 1);
}

TEST(AuditPrometheus, KeepsTheFirstOfTwoSeriesWithTheSameLabels) {
  json r = audit_sample();
  r["expectations"].push_back(r["expectations"][0]);
  r["expectations"][1]["met"] = true;
  const Parsed p = parse(render_audit_prometheus(r));  // a duplicate series would fail here
  EXPECT_EQ(p.samples.at("tunectl_audit_expectation_met{profile=\"low-latency-net\",bench=\"tcp_rr\",metric=\"rtt_p50_"
                         "us\",expect=\"improved\"}"),
            0);
}

}  // namespace
}  // namespace tunectl
