// The files of an audit report on disk: reading a report.json back (tunectl report), and writing
// report.json, report.md and report.html into a directory, each atomically.
#pragma once
#include <array>
#include <cstddef>
#include <string>

#include "core/json.h"

namespace tunectl {

inline constexpr const char* kAuditSchema = "tunectl.audit/1";
// A report holds a few numbers per run and metric; the same bound as a benchmark result.
inline constexpr size_t kMaxAuditReportBytes = size_t{64} << 20;
// What write_audit_report_files writes, in that order.
inline constexpr std::array<const char*, 3> kAuditReportFiles = {"report.json", "report.md", "report.html"};

// The report at `path`: a regular file of at most 64 MiB holding JSON with schema tunectl.audit/1.
// Throws InputError "<path>: <reason>" otherwise (missing, a FIFO or device, too large, not JSON,
// another schema: "... has schema 'X', expected tunectl.audit/1").
json load_audit_report(const std::string& path);

// Writes report.json (2-space indent), report.md and report.html into `out_dir`, creating it and
// its parents (mode 0755) when missing. Throws InputError when out_dir (or a parent) exists and is
// not a directory, Error "<path>: <strerror>" when a write fails.
void write_audit_report_files(const json& report, const std::string& out_dir);

}  // namespace tunectl
