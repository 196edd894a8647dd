// An audit report (schema tunectl.audit/1) as GitHub-flavoured Markdown, for a change request: one
// summary line (PASSED/FAILED and why), the host and profile, then the settings, benchmark and
// expectation tables and the caveats. Missing or null fields print as a dash; never throws on a
// report of the wrong shape.
#pragma once
#include <string>

#include "core/json.h"

namespace tunectl {

std::string render_audit_markdown(const json& report);

}  // namespace tunectl
