// An audit report (schema tunectl.audit/1) as Prometheus metrics in the text exposition format,
// for node_exporter's textfile collector (write it with write_file_atomically, core/file_io.h, into
// the collector's directory as NAME.prom). Every family is a gauge with one HELP and one TYPE line
// and all its samples together; no timestamps (the collector refuses them). Families:
//   tunectl_audit_passed{profile}                                  1 passed, 0 failed
//   tunectl_audit_timestamp_seconds{profile}                       when the audit finished (Unix time)
//   tunectl_audit_duration_seconds{profile}
//   tunectl_audit_benchmark_unavailable{profile,bench}             1 for a benchmark that did not run
//   tunectl_audit_runs{profile,bench,side="before|after"}
//   tunectl_audit_disturbed_runs{profile,bench,side}
//   tunectl_audit_median{profile,bench,metric,side}
//   tunectl_audit_ratio{profile,bench,metric}                      after / before
//   tunectl_audit_ratio_ci95{profile,bench,metric,bound="lower|upper"}
//   tunectl_audit_verdict{profile,bench,metric,verdict}            1 for the verdict given, 0 for the others
//   tunectl_audit_expectation_met{profile,bench,metric,expect}     1 met, 0 not
// A missing or null number is left out (never NaN); label values are escaped (\\, \", \n).
#pragma once
#include <string>

#include "core/json.h"

namespace tunectl {

std::string render_audit_prometheus(const json& report);

}  // namespace tunectl
