// Wall-clock timestamps for records (snapshots, journals, benchmark results).
#pragma once
#include <string>

namespace tunectl {
// Now, UTC, RFC 3339 to the second: "2026-11-21T19:38:26Z".
std::string utc_now_rfc3339();
}  // namespace tunectl
