// tunectl audit: apply a profile and prove it (audit/audit.h), then write the report.
#include <unistd.h>

#include <ctime>
#include <iostream>

#include "audit/audit.h"
#include "audit/prometheus.h"
#include "audit/report_files.h"
#include "bench/stats.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "core/json_text.h"
#include "core/table.h"
#include "cli/common_options.h"
#include "cli/stop_signals.h"
#include "cli/verb.h"

namespace tunectl::cli {
namespace {

const char* kUsage =
    "-p PROFILE [--benches auto|none|NAME,...] [--bench-option NAME.KEY=VALUE]... [--rounds N]\n"
    "       [--reps N] [--warmup N] [--keep|--rollback] [--out DIR] [--prometheus FILE] [--dry-run] [--json]\n"
    "       [--root DIR] [--state-dir DIR]";

std::string notes() {
  std::string s =
      "Runs the benchmarks that can see the profile's changes with the host switched between its\n"
      "original state (before) and the profile applied (after), round by round, alternating which\n"
      "goes first; compares every metric (ratio of medians with a 95% CI, Mann-Whitney U with Holm's\n"
      "correction, the noise band) and judges the profile's verify.bench expectations. The switches\n"
      "go through one journaled transaction: if the audit is killed at any point, `tunectl rollback`\n"
      "restores the original bytes, and apply/audit refuse until then.\n\n"
      "--benches auto maps each planned knob to the benchmarks that can see it, plus every benchmark\n"
      "the profile's verify.bench names (none: only those). The mapping:\n";
  for (const auto& l : auto_mapping_lines()) s += "  " + l + "\n";
  s +=
      "--rounds N   rounds (default 10); each runs every benchmark once before and once after\n"
      "--reps N     A/B pairs per benchmark per round (default 1). Runs per side = rounds x reps,\n"
      "             at least what a verdict over the benchmark's metrics needs: 4 for one metric,\n"
      "             5 for tcp_rr's five\n"
      "--keep       (default) leave the profile applied when the audit passes, restore it when not\n"
      "--rollback   always restore the original (a pure experiment)\n"
      "--out DIR    report.json (schema tunectl.audit/1), report.md, report.html\n"
      "             (default ./tunectl-audit-<host>-<UTC time>/)\n"
      "--prometheus FILE  node_exporter textfile gauges (tunectl_audit_*), written atomically\n"
      "--dry-run    the plan, the benchmarks and an estimate of the time; writes nothing\n\n"
      "Progress goes to stderr on a terminal (not with --json). SIGINT/SIGTERM stop the audit after\n"
      "the current run and restore the original settings (exit 130).\n\n"
      "exit: 0 passed (no expectation failed, no regression), 1 an expectation failed or a metric\n"
      "      regressed, 2 bad input, 3 not permitted, 4 apply failed and was rolled back, 5 lock held\n"
      "      by another tunectl, 6 an open transaction (recover first), 130 interrupted (restored)\n";
  return s;
}

std::string default_out_dir(const json& report) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  return "./tunectl-audit-" + report["host"].value("hostname", std::string("host")) + "-" + stamp;
}

// NAME.KEY=VALUE -> overrides[NAME][KEY] = VALUE
void add_bench_option(std::map<std::string, BenchOptions>& out, const std::string& spec) {
  const auto dot = spec.find('.'), eq = spec.find('=');
  if (dot == std::string::npos || eq == std::string::npos || dot > eq || dot == 0 || eq == dot + 1)
    throw InputError("--bench-option " + spec + ": expected NAME.KEY=VALUE, e.g. tcp_rr.duration=0.5");
  out[spec.substr(0, dot)][spec.substr(dot + 1, eq - dot - 1)] = spec.substr(eq + 1);
}

std::string text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return bench::stats::three_significant(v.get<double>());
  return dump_json(v);
}

std::string ratio_text(const json& m) {
  if (!m["ratio"].is_number()) return "-";
  std::string s = text(m["ratio"]);
  if (m["ci95"].is_array()) s += " [" + text(m["ci95"][0]) + ", " + text(m["ci95"][1]) + "]";
  return s;
}

void print_report(std::ostream& out, const json& r) {
  out << r["outcome"].value("summary", "") << "\n";
  if (r.contains("settings") && !r["settings"].empty()) {
    out << "\nsettings:\n";
    Table t({{"KNOB"}, {"BEFORE"}, {"AFTER"}, {"EFFECT"}});
    for (const auto& s : r["settings"])
      t.add_row({text(s["knob"]), text(s["before"]), text(s["after"]),
                 text(s["effect"]) + (s.value("effect_detail", "").empty() ? "" : " (" + s["effect_detail"].get<std::string>() + ")")});
    t.print(out, "  ");
    for (const auto& s : r["settings"])
      for (const auto& o : s.value("observed", json::array()))
        out << "  seen by " << text(o["bench"]) << ": " << text(s["knob"]) << ": " << text(o["what"]) << " "
            << text(o["before"]) << " -> " << text(o["after"]) << "\n";
  }
  if (r.contains("benchmarks") && !r["benchmarks"].empty()) {
    out << "\nbenchmarks (before -> after, ratio after/before with 95% CI):\n";
    Table t({{"BENCH"}, {"METRIC"}, {"BEFORE", Table::Align::Right}, {"AFTER", Table::Align::Right}, {"RATIO [95% CI]"}, {"VERDICT"}});
    for (const auto& b : r["benchmarks"]) {
      if (!b["unavailable"].is_null()) {
        t.add_row({text(b["bench"]), "-", "-", "-", "-", "did not run: " + text(b["unavailable"])});
        continue;
      }
      for (const auto& m : b["comparison"]["metrics"])
        t.add_row({text(b["bench"]), text(m["metric"]) + " (" + text(m["unit"]) + ")", text(m["median_a"]),
                   text(m["median_b"]), ratio_text(m), text(m["verdict"])});
    }
    t.print(out, "  ");
  }
  if (r.contains("expectations") && !r["expectations"].empty()) {
    out << "\nexpectations:\n";
    for (const auto& e : r["expectations"])
      out << "  " << (e.value("met", false) ? "met    " : "NOT MET") << "  " << text(e["bench"])
          << (e.contains("metric") ? " " + text(e["metric"]) : "") << " " << text(e["expect"]) << ": "
          << text(e["reason"]) << "\n";
  }
  if (r.contains("caveats") && !r["caveats"].empty()) {
    out << "\ncaveats:\n";
    for (const auto& c : r["caveats"]) out << "  - " << text(c) << "\n";
  }
}

void print_dry_run(std::ostream& out, const json& r) {
  out << r["outcome"].value("summary", "") << "\n\nplan:\n";
  for (const auto& c : r["plan"]["changes"]) out << "  " << text(c["knob"]) << ": " << text(c["current"]) << " -> " << text(c["desired"]) << "\n";
  out << "\nbenchmarks (" << r["options"]["rounds"].get<int>() << " rounds x " << r["options"]["reps"].get<int>()
      << " reps + " << r["options"]["warmup"].get<int>() << " warm-up, each run before and after):\n";
  for (const auto& b : r["benchmarks_chosen"]) {
    out << "  " << text(b["bench"]) << " " << text(b["options_a"]);
    if (b["options_a"] != b["options_b"]) out << " -> " << text(b["options_b"]);
    out << "  (~" << b["estimated_run_s"].get<double>() << " s a run; because:";
    for (const auto& w : b["because"]) out << " " << text(w);
    out << ")\n";
    if (b.value("not_run", json()).is_string()) out << "    not run: " << text(b["not_run"]) << "\n";
  }
}

int run_audit_verb(const std::vector<std::string>& args) {
  po::options_description opts("audit options");
  opts.add_options()
      ("profile,p", po::value<std::string>()->required(), "built-in profile name or path to a profile file")
      ("benches", po::value<std::string>()->default_value("auto"), "auto, none, or NAME,NAME,...")
      ("bench-option", po::value<std::vector<std::string>>(), "NAME.KEY=VALUE: a benchmark option (repeatable)")
      ("rounds", po::value<int>()->default_value(10), "rounds of every benchmark before and after")
      ("reps", po::value<int>()->default_value(1), "A/B pairs per benchmark per round")
      ("warmup", po::value<int>()->default_value(1), "unrecorded warm-up pairs per benchmark")
      ("keep", "keep the profile when the audit passes (default)")
      ("rollback", "always restore the original settings at the end")
      ("out", po::value<std::string>(), "report directory")
      ("prometheus", po::value<std::string>(), "node_exporter textfile to write")
      ("noise-file", po::value<std::string>(), "calibration file (default: see tunectl bench calibrate --help)")
      ("dry-run", "print the plan, the benchmarks and the estimated time; write nothing");
  add_common(opts, kRoot | kStateDir | kJson | kProfilePath);
  po::variables_map vm;
  if (!parse_options("audit", std::string(kUsage) + "\n\n" + notes() + "\n\n" + kProfileSearchHelp, opts, args, vm)) return 0;
  if (vm.count("keep") && vm.count("rollback")) throw InputError("--keep and --rollback exclude each other");

  const Common common = read_common(vm);
  AuditRequest req;
  req.profile = vm["profile"].as<std::string>();
  req.root = common.root;
  req.state_dir = common.state_dir;
  req.profile_path = common.profile_path;
  note_shadowing(req.profile, common);
  req.benches = vm["benches"].as<std::string>();
  if (vm.count("bench-option"))
    for (const auto& s : vm["bench-option"].as<std::vector<std::string>>()) add_bench_option(req.bench_options, s);
  req.rounds = vm["rounds"].as<int>();
  req.reps = vm["reps"].as<int>();
  req.warmup = vm["warmup"].as<int>();
  req.keep = !vm.count("rollback");
  req.dry_run = vm.count("dry-run") > 0;
  if (vm.count("noise-file")) req.noise_file = vm["noise-file"].as<std::string>();

  AuditHooks hooks;
  const bool show_progress = !common.json && ::isatty(STDERR_FILENO) == 1;
  if (show_progress)
    hooks.progress = [](const AuditProgress& p) {
      const int eta = static_cast<int>(p.eta_s + 0.5);
      std::cerr << "\r\033[K" << (p.round ? "round " + std::to_string(p.round) + "/" + std::to_string(p.rounds) : std::string("warm-up"))
                << "  " << p.bench << "  " << p.state << "  ETA " << eta / 60 << ":" << (eta % 60 < 10 ? "0" : "")
                << eta % 60 << std::flush;
    };
  StopSignals signals;
  hooks.interrupted = [] { return StopSignals::requested(); };
  AuditResult result = run_audit(req, hooks);
  if (show_progress) std::cerr << "\r\033[K" << std::flush;

  if (req.dry_run) {
    if (common.json) std::cout << dump_json(result.report, 2) << "\n";
    else print_dry_run(std::cout, result.report);
    return result.exit_code;
  }
  const std::string out_dir = vm.count("out") ? vm["out"].as<std::string>() : default_out_dir(result.report);
  write_audit_report_files(result.report, out_dir);
  if (vm.count("prometheus")) write_file_atomically(vm["prometheus"].as<std::string>(), render_audit_prometheus(result.report));
  if (common.json) {
    std::cout << dump_json(result.report, 2) << "\n";
  } else {
    print_report(std::cout, result.report);
    std::cout << "\nreport: " << out_dir << "/report.html (also report.md, report.json)\n";
  }
  return result.exit_code;
}

}  // namespace

Verb verb_audit() { return {"audit", "apply a profile and prove it: interleaved before/after benchmarks, verdicts, report", run_audit_verb}; }

}  // namespace tunectl::cli
