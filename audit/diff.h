// `tunectl diff`: what differs between two snapshots (tunectl.snapshot/2 or /1) or two audit reports
// (tunectl.audit/1) — two hosts, or one host over time — grouped by area, with list elements
// matched by identity (IRQ number, NIC name, cgroup path, knob, bench and metric). What is never
// compared (timestamps, counters unless asked) is listed, with the reason, in audit/diff.cpp.
#pragma once
#include <ostream>
#include <string>

#include "core/json.h"

namespace tunectl {

inline constexpr const char* kDiffSchema = "tunectl.diff/1";

struct DiffOptions {
  // Also compare what changes by itself from one second to the next: IRQ counts, THP/TCP event
  // counters and usage, throttling statistics, idle-state residency, free memory, current frequency.
  bool counters = false;
  // How the two inputs are named in errors and in the result ("a"/"b"): usually their file names.
  std::string a_label = "A", b_label = "B";
};

// The JSON document in file `path`, read as untrusted input: a regular file of at most 64 MiB,
// strict JSON nested at most 64 deep. Throws InputError "<path>: <reason>".
json load_diff_input(const std::string& path);
// The same for JSON text that came from elsewhere (the Python API); errors name `label`.
json parse_diff_input(const std::string& text, const std::string& label);

// The differences, as
//   {"schema": "tunectl.diff/1", "kind": "snapshot" | "audit",
//    "a": {"source": label, "schema", "hostname", "time"}, "b": {...}, "identical": bool,
//    "areas": {area: [{"path", "change": "changed" | "added" | "removed", "a", "b"}, ...]}}
// where "time" is the snapshot's taken_at or the audit's started_at, an absent value is null, and
// only areas with differences appear. Throws InputError naming the input when either is not a
// snapshot or an audit report, or when one is a snapshot and the other an audit report.
json diff_documents(const json& a, const json& b, const DiffOptions& opts = {});

// The human form of a diff_documents result: the two inputs, then per area (in snapshot-area
// order) one "path: A -> B" line per difference, values shortened. Prints nothing when identical.
void print_diff(std::ostream& out, const json& diff);

}  // namespace tunectl
