// The parts of an audit report (docs/audit.md) that are plain functions of what the audit saw:
// host, options, settings rows, the summary line. audit.cpp runs the audit and assembles them.
#pragma once
#include <string>
#include <vector>

#include "audit/bench_choice.h"
#include "audit/expectations.h"
#include "core/host.h"
#include "core/json.h"
#include "probes/snapshot.h"
#include "tuner/apply/toggled_transaction.h"
#include "tuner/plan/plan.h"

namespace tunectl {

json options_json(const BenchOptions& o);
// "45 s", "3 min": the dry run's estimate.
std::string seconds_text(double s);
// The three load averages of /proc/loadavg, or null.
json loadavg(const Host& host);
// {hostname, kernel, root ("live host" or the tree), cpus, numa_nodes}
json host_json(const Snapshot& s, const std::string& root);
// One row per planned change: before/after (normalised), value, why, source, written, read_back
// (raw bytes after the last switch to B), effect and its detail as the audit saw them.
json settings_json(const Plan& plan, const std::vector<ToggledKnob>& knobs, bool written);
// What the benchmarks saw of a setting's effect, before and after, for the settings whose effect
// the kernel shows only to new work: THP (huge pages the THP-advised buffers of mem_latency and
// page_fault really got, runs[].detail.thp_kb_used) and cpu.max (cpu_quota's throttled periods).
// `benchmarks` are the report's rows; an empty list when no benchmark saw it. THP: every benchmark
// whose runs record it; cpu.max: the cpu_quota runs chosen for that knob.
json observed_effect(const std::string& knob, const json& benchmarks);
// "passed: 2 expectations met, no regression; verdicts: ...; profile kept" or "failed: <first
// reason> (and N more); ...". A pass with nothing improved says so.
std::string summary_line(bool passed, const AuditVerdict& v, const json& counts, const std::string& end);

}  // namespace tunectl
