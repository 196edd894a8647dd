// tunectl diff: which inputs are comparable, what of them is compared, and under which area each
// difference is reported. The comparing itself is audit/json_diff; the printing audit/diff_text.
#include "audit/diff.h"

#include <set>

#include "audit/json_diff.h"
#include "audit/report_files.h"  // kAuditSchema
#include "core/errors.h"
#include "core/file_io.h"
#include "core/json_text.h"
#include "core/strict_json.h"
#include "probes/probe_area.h"
#include "probes/snapshot.h"

namespace tunectl {
namespace {

// Snapshots are a few MiB on a large host; an audit report holds two of them plus benchmark runs.
constexpr size_t kMaxDiffInputBytes = size_t{64} << 20;
// Snapshots nest about 6 deep and audit reports about 12; the bound keeps recursion shallow.
constexpr size_t kMaxDiffInputDepth = 64;

enum class Kind { kSnapshot, kAudit };

// Lists of keyed things in a snapshot, matched by identity (paths relative to the snapshot).
const std::vector<JsonDiffRules::KeyedList> kSnapshotKeys = {
    {"/topology/cpus", "cpu"},     {"/topology/nodes", "node"},         {"/irqs", "irq"},
    {"/nics", "name"},             {"/nics/*/irqs", "irq"},             {"/nics/*/rps", "queue"},
    {"/nics/*/xps", "queue"},      {"/cgroups/groups", "path"},         {"/cpu_power/cpus", "cpu"},
    {"/cpu_power/cpus/*/idle_states", "state"}, {"/cpu_power/cpufreq/policies", "policy"},
};

// Never compared: when the snapshot was taken, and where the probe read from (the live host or the
// path of a captured tree) — they differ between any two probes and say nothing about the host.
// The top-level "schema" is checked before, and "errors" are compared (a probe error that appears
// or vanishes is news: a file became unreadable) but reported under the area they belong to.
// "irq_counts" is the form the counts are written in (docs/snapshot.md), not a fact of the host.
const std::vector<std::string> kSnapshotIgnored = {"/host/taken_at", "/host/root", "/irq_counts"};

// Volatile: counters and current usage that change by themselves from one second to the next on
// an idle host, so two probes of one unchanged host would always differ. Compared only with
// DiffOptions::counters (`--counters`). Limits, modes and capacities beside them are compared.
const std::vector<std::string> kSnapshotVolatile = {
    "/irqs/*/counts",                          // interrupts per CPU
    "/topology/nodes/*/mem_free_kb",           // free memory (mem_total_kb is compared)
    "/thp/vmstat",                             // thp_* event counters
    "/thp/anon_huge_kb", "/thp/shmem_huge_kb", "/thp/file_huge_kb",  // huge pages in use
    "/thp/khugepaged/pages_collapsed", "/thp/khugepaged/full_scans",  // khugepaged progress
    "/tcp/sockstat", "/tcp/counters", "/tcp/sockets",                 // sockets now, TcpExt events
    "/cgroups/groups/*/stat",                  // periods and throttling so far
    "/cpu_power/cpufreq/policies/*/cur_khz",   // the frequency this instant
    "/cpu_power/cpus/*/idle_states/*/usage", "/cpu_power/cpus/*/idle_states/*/time_us",
    "/cpu_power/cpus/*/idle_states/*/above", "/cpu_power/cpus/*/idle_states/*/below",  // residency
};

// An audit report is compared through a view of what it concluded (audit_view); run timing,
// environment, raw benchmark runs and statistics other than the verdict always differ between two
// audits, and the profile's content is covered by its digest. A bench run twice in one report
// (with other options) makes the benchmarks match by position instead (json_diff's rule for
// duplicate keys).
const std::vector<JsonDiffRules::KeyedList> kAuditKeys = {
    {"/settings", "knob"}, {"/benchmarks", "bench"}, {"/benchmarks/*/comparison/metrics", "metric"}};

JsonDiffRules snapshot_rules(const DiffOptions& opts) {
  JsonDiffRules r{kSnapshotKeys, kSnapshotIgnored};
  if (!opts.counters) r.ignored.insert(r.ignored.end(), kSnapshotVolatile.begin(), kSnapshotVolatile.end());
  return r;
}

// `obj[key]` when obj is an object holding it, else nullptr.
const json* field(const json* obj, const std::string& key) {
  if (!obj || !obj->is_object()) return nullptr;
  const auto it = obj->find(key);
  return it == obj->end() ? nullptr : &*it;
}

json string_or_null(const json* v) { return v && v->is_string() ? *v : json(nullptr); }

// A value from the input, quoted and escaped, for a one-line message.
std::string quoted(const json& v) { return dump_json(v); }

Kind kind_of(const json& doc, const std::string& label) {
  const std::string expected = " (diff compares " + std::string(kSnapshotSchema) + ", " + kSnapshotSchemaV1 + " or " +
                               kAuditSchema + ")";
  if (!doc.is_object()) throw InputError(label + ": not a JSON object" + expected);
  const json* schema = field(&doc, "schema");
  if (!schema) throw InputError(label + ": no \"schema\"" + expected);
  if (*schema == kSnapshotSchema || *schema == kSnapshotSchemaV1) return Kind::kSnapshot;
  if (*schema == kAuditSchema) return Kind::kAudit;
  throw InputError(label + ": unknown schema " + quoted(*schema) + expected);
}

json describe(const json& doc, Kind kind, const std::string& label) {
  const json* host = field(&doc, "host");
  const json* time = kind == Kind::kSnapshot ? field(host, "taken_at") : field(&doc, "started_at");
  return {{"source", label}, {"schema", doc["schema"]}, {"hostname", string_or_null(field(host, "hostname"))},
          {"time", string_or_null(time)}};
}

// The area a snapshot's top-level key belongs to: an area's JSON key ("irqs" -> irq), its
// "<key>_unavailable", or another key it writes ("irq_count_cpus"); else the key itself ("host").
std::string snapshot_area(const std::string& key) {
  for (const auto& area : probe_areas())
    if (key == area.json_key || key == area.json_key + "_unavailable") return area.name;
  for (const auto& area : probe_areas())
    if (key.rfind(area.name + "_", 0) == 0) return area.name;
  return key;
}

using Areas = std::map<std::string, std::vector<JsonChange>>;

void diff_snapshots(const json& a, const json& b, const std::string& shown, const DiffOptions& opts, Areas& areas) {
  const JsonDiffRules rules = snapshot_rules(opts);
  std::set<std::string> keys;
  for (const json* doc : {&a, &b})
    for (const auto& [k, v] : doc->items())
      if (k != "schema") keys.insert(k);
  for (const auto& key : keys) {
    const json *ka = field(&a, key), *kb = field(&b, key);
    if (key == "errors" && (!ka || ka->is_object()) && (!kb || kb->is_object())) {
      // {area: [messages]}: each area's errors under that area.
      std::set<std::string> names;
      for (const json* e : {ka, kb})
        if (e)
          for (const auto& [name, v] : e->items()) names.insert(name);
      for (const auto& name : names)
        diff_json(field(ka, name), field(kb, name), rules, "/errors/" + name,
                  shown + "/errors/" + pointer_token(name), areas[snapshot_area(name)]);
      continue;
    }
    diff_json(ka, kb, rules, "/" + key, shown + "/" + pointer_token(key), areas[snapshot_area(key)]);
  }
}

// What an audit report concluded: the profile (name and digest), the outcome and end state, each
// setting (before, desired, after, read back, effect), and each benchmark's verdict per metric.
json audit_view(const json& report) {
  json v = json::object();
  const json* profile = field(&report, "profile");
  for (const char* k : {"name", "digest"})
    if (const json* x = field(profile, k)) v["profile"][k] = *x;
  for (const char* k : {"outcome", "end_state", "settings"})
    if (const json* x = field(&report, k)) v[k] = *x;
  const json* benchmarks = field(&report, "benchmarks");
  if (benchmarks && benchmarks->is_array()) {
    v["benchmarks"] = json::array();
    for (const auto& bench : *benchmarks) {
      json e = json::object();
      for (const char* k : {"bench", "unavailable"})
        if (const json* x = field(&bench, k)) e[k] = *x;
      const json* metrics = field(field(&bench, "comparison"), "metrics");
      if (metrics && metrics->is_array()) {
        json& list = e["comparison"]["metrics"] = json::array();
        for (const auto& m : *metrics) {
          json row = json::object();
          for (const char* k : {"metric", "verdict"})
            if (const json* x = field(&m, k)) row[k] = *x;
          list.push_back(row);
        }
      }
      v["benchmarks"].push_back(e);
    }
  } else if (benchmarks) {
    v["benchmarks"] = *benchmarks;
  }
  return v;
}

std::string audit_area(const std::string& key) {
  if (key == "end_state") return "outcome";
  if (key == "benchmarks") return "verdicts";
  return key;
}

void diff_audits(const json& a, const json& b, const DiffOptions& opts, Areas& areas) {
  const json va = audit_view(a), vb = audit_view(b);
  const JsonDiffRules rules{kAuditKeys, {}};
  std::set<std::string> keys;
  for (const json* v : {&va, &vb})
    for (const auto& [k, x] : v->items()) keys.insert(k);
  for (const auto& key : keys)
    diff_json(field(&va, key), field(&vb, key), rules, "/" + key, "/" + key, areas[audit_area(key)]);

  // The host after the audit, area by area, like two snapshots.
  const json *sa = field(field(&a, "snapshots"), "after"), *sb = field(field(&b, "snapshots"), "after");
  if (sa && sb && sa->is_object() && sb->is_object())
    diff_snapshots(*sa, *sb, "/snapshots/after", opts, areas);
  else
    diff_json(sa, sb, JsonDiffRules{}, "/snapshots/after", "/snapshots/after", areas["snapshot"]);
}

}  // namespace

json load_diff_input(const std::string& path) {
  const ReadResult r = read_regular_file(path, kMaxDiffInputBytes);
  if (!r.ok) throw InputError(r.error);
  return parse_diff_input(r.data, path);
}

json parse_diff_input(const std::string& text, const std::string& label) {
  try {
    return parse_strict_json(text, kMaxDiffInputDepth);
  } catch (const JsonError& e) {
    throw InputError(label + ": " + (e.pointer.empty() ? "" : e.pointer + ": ") + e.what());
  }
}

json diff_documents(const json& a, const json& b, const DiffOptions& opts) {
  const Kind ka = kind_of(a, opts.a_label), kb = kind_of(b, opts.b_label);
  if (ka != kb) {
    const auto what = [](Kind k) { return k == Kind::kSnapshot ? "a snapshot" : "an audit report"; };
    throw InputError(opts.a_label + " is " + what(ka) + " but " + opts.b_label + " is " + what(kb) +
                     ": diff compares two snapshots or two audit reports");
  }
  Areas areas;
  if (ka == Kind::kSnapshot)
    diff_snapshots(a, b, "", opts, areas);
  else
    diff_audits(a, b, opts, areas);

  json out_areas = json::object();
  for (const auto& [area, changes] : areas) {
    if (changes.empty()) continue;
    json list = json::array();
    for (const auto& c : changes)
      list.push_back({{"path", c.path}, {"change", to_string(c.kind)}, {"a", c.a}, {"b", c.b}});
    out_areas[area] = list;
  }
  return {{"schema", kDiffSchema},
          {"kind", ka == Kind::kSnapshot ? "snapshot" : "audit"},
          {"a", describe(a, ka, opts.a_label)},
          {"b", describe(b, kb, opts.b_label)},
          {"identical", out_areas.empty()},
          {"areas", out_areas}};
}

}  // namespace tunectl
