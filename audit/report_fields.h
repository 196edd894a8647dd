// Reading an audit report (schema tunectl.audit/1) defensively, for the renderers (Markdown, HTML,
// Prometheus): any field may be missing, null or of another type, and then prints as a dash
// instead of throwing. Also the views the renderers share: per-metric runs and the caveats.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace tunectl::audit_report {

// What a missing or null value prints as (an en dash).
inline constexpr const char* kDash = "\u2013";

// j[key] when j is an object holding key, else a null json (never throws, never inserts).
const json& at(const json& j, const char* key);
// j[i] when j is an array that long, else a null json. (The int overload keeps at(j, 0) from
// meaning the null `const char*`.)
const json& at(const json& j, size_t i);
inline const json& at(const json& j, int i) { return at(j, i < 0 ? SIZE_MAX : static_cast<size_t>(i)); }

// A finite number, or nullopt (null, string, NaN, ...).
std::optional<double> number(const json& v);
// A string as is, a number via num(), a bool as "yes"/"no"; anything else a dash.
std::string text(const json& v);
// A number with 4 significant digits ("111.7", "3565", "0.05"); large ones without exponent.
std::string num(const json& v);
std::string num(double v);
// "1.051 [0.869, 1.217]"; the ratio or CI alone when the other is missing; a dash when both are.
std::string ratio_with_ci(const json& ratio, const json& ci95);
// The profile's name (profile.name, else plan.profile), or "".
std::string profile_name(const json& report);
// "PASSED" / "FAILED" / "UNKNOWN" from outcome.passed.
std::string pass_word(const json& report);
// outcome.summary without a leading "failed: " / "passed: " that would repeat pass_word.
std::string summary_text(const json& report);

// One run of one metric on one side.
struct RunPoint {
  double value = 0;
  bool disturbed = false;
};

// One metric of one benchmark: the comparison row (may be null) and the runs of both sides.
struct MetricView {
  std::string metric;
  std::string unit;
  const json* row = nullptr;  // benchmarks[].comparison.metrics[] entry, or a null json
  std::vector<RunPoint> before, after;
  std::optional<bool> higher_is_better;
};

struct BenchView {
  std::string bench;
  std::string unavailable;          // why it did not run, "" when it did
  std::vector<MetricView> metrics;  // comparison order, then metrics only the results have
};

// Every benchmark of the report. Pointers refer into `report`, which must outlive the views.
std::vector<BenchView> bench_views(const json& report);

// The report's caveats, then those it implies but does not already state (a caveat of its own
// about the same benchmark and subject counts): noise bands used, disturbed runs, unavailable
// benchmarks. No duplicates.
std::vector<std::string> caveats(const json& report);

// Reads "2026-11-30T23:12:31.5Z" (UTC, "Z" or "+00:00"); nullopt when it is not such a time.
std::optional<double> utc_seconds(const std::string& iso8601);

}  // namespace tunectl::audit_report
