// An audit report (schema tunectl.audit/1) as one self-contained HTML page: inline CSS and inline
// SVG only, no script and no external reference (a Content-Security-Policy says so to the browser
// too). A pass/fail banner, the settings, benchmark and expectation tables, the caveats, per metric
// a before/after distribution chart, latency percentiles, and the IRQ-per-CPU heat map when the
// report has one. Every text from the report is HTML-escaped; missing or null fields print as a
// dash; never throws on a report of the wrong shape.
#pragma once
#include <string>

#include "core/json.h"

namespace tunectl {

std::string render_audit_html(const json& report);

}  // namespace tunectl
