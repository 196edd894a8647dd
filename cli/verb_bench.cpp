// tunectl bench: run a microbenchmark, list them, compare two results, calibrate the noise.
//   bench list [--json] | bench NAME [--OPTION VALUE ...] [--reps N] [--warmup N] [--json] [-o FILE]
//   bench compare A.json B.json [--json] [--noise-file F] | bench calibrate [--reps N] [--bench A,B]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "bench/result_file.h"
#include "bench/bench.h"
#include "bench/calibration.h"
#include "bench/compare.h"
#include "bench/runner.h"
#include "cli/common_options.h"
#include "cli/stop_signals.h"
#include "cli/verb.h"
#include "core/json_text.h"

namespace tunectl::cli {
namespace {

using namespace tunectl::bench;

std::string num(const json& v) {
  if (!v.is_number()) return "-";
  std::ostringstream s;
  s << std::setprecision(4) << v.get<double>();
  return s.str();
}

std::string interval(const json& ci) { return ci.is_array() ? "[" + num(ci[0]) + ", " + num(ci[1]) + "]" : "-"; }

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

// A progress line on stderr, only on a terminal and only once a second has passed, so short
// runs stay quiet; erased when done.
class Progress {
 public:
  Progress() : tty_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() {
    if (shown_) std::cerr << "\r\033[K" << std::flush;
  }
  void operator()(const std::string& bench, const std::string& step) {
    if (!tty_ || std::chrono::steady_clock::now() - start_ < std::chrono::seconds(1)) return;
    std::cerr << "\r\033[K" << bench << " " << step << " …" << std::flush;
    shown_ = true;
  }

 private:
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

RunConfig run_config(const po::variables_map& vm, Progress& progress) {
  RunConfig cfg;
  cfg.reps = vm["reps"].as<int>();
  cfg.warmup = vm["warmup"].as<int>();
  cfg.progress = [&progress](const std::string& b, const std::string& s) { progress(b, s); };
  cfg.interrupted = [] { return StopSignals::requested(); };  // with a StopSignals in scope
  return cfg;
}

void add_run_options(po::options_description& opts, int default_reps) {
  opts.add_options()("reps", po::value<int>()->default_value(default_reps), "measured repetitions")(
      "warmup", po::value<int>()->default_value(1), "warm-up runs, discarded");
}

// --- list ----------------------------------------------------------------------------------------

int run_list(const std::vector<std::string>& args) {
  po::options_description opts("bench list options");
  add_common(opts, kJson);
  po::variables_map vm;
  if (!parse_options("bench list", "[--json]", opts, args, vm)) return 0;
  const bool as_json = read_common(vm).json;
  json out = json::array();
  for (const auto& name : bench_names()) {
    auto b = make_bench(name);
    json o = json::array(), m = json::array();
    for (const auto& s : b->options()) o.push_back({{"name", s.name}, {"default", s.default_value}, {"help", s.help}});
    for (const auto& s : b->metrics())
      m.push_back({{"name", s.name}, {"unit", s.unit}, {"higher_is_better", s.higher_is_better}});
    out.push_back({{"name", name}, {"summary", b->summary()}, {"options", o}, {"metrics", m},
                   {"unavailable", b->unavailable(Host("/"), resolve_options(*b, {}))}});
  }
  if (as_json) {
    std::cout << dump_json(out, 2) << "\n";
    return 0;
  }
  for (const auto& b : out) {
    std::cout << std::left << std::setw(14) << b["name"].get<std::string>() << b["summary"].get<std::string>();
    if (!b["unavailable"].is_null()) std::cout << "  [unavailable: " << b["unavailable"].get<std::string>() << "]";
    std::cout << "\n";
  }
  return 0;
}

// --- NAME ----------------------------------------------------------------------------------------

void print_bench_help(const Benchmark& b, const po::options_description& opts) {
  std::cout << "usage: tunectl bench " << b.name() << " [options]\n\n" << b.summary() << "\n\n" << opts << "\nmetrics:\n";
  for (const auto& m : b.metrics())
    std::cout << "  " << std::left << std::setw(18) << m.name << std::setw(10) << m.unit
              << (m.higher_is_better ? "higher is better" : "lower is better") << "\n";
  std::cout << "\n--json prints schema tunectl.bench/1. SIGINT/SIGTERM stop it after the current run; it is torn\n"
               "down (cpu_quota's cgroup removed) and tunectl exits 130.\n";
}

void print_result(const json& r) {
  const json& env = r["env"];
  if (!r["unavailable"].is_null()) {
    std::cout << r["bench"].get<std::string>() << ": unavailable: " << r["unavailable"].get<std::string>() << "\n";
    return;
  }
  std::cout << r["bench"].get<std::string>() << ": " << env["reps"] << " runs after " << env["warmup"]
            << " warm-up; kernel " << env["kernel"].get<std::string>() << ", " << env["cpus"] << " CPUs, steal "
            << num(env["steal_pct"]) << "%, " << env["disturbed_runs"].size() << " disturbed runs\n\n";
  std::cout << std::left << std::setw(24) << "metric" << std::setw(10) << "unit" << std::setw(12) << "median"
            << std::setw(26) << "95% CI" << "better\n";
  for (const auto& [name, m] : r["metrics"].items())
    std::cout << std::setw(24) << name << std::setw(10) << m["unit"].get<std::string>() << std::setw(12)
              << num(m["median"]) << std::setw(26) << interval(m["ci95"])
              << (m["higher_is_better"].get<bool>() ? "higher" : "lower") << "\n";
  for (const auto& d : env["disturbed_runs"])
    std::cout << "disturbed run " << d["run"] << ": " << d["reason"].get<std::string>() << "\n";
}

int run_named(const std::string& name, const std::vector<std::string>& args) {
  auto bench = make_bench(name);
  po::options_description opts(name + " options");
  for (const auto& s : bench->options()) {
    auto* v = po::value<std::string>()->default_value(s.default_value);
    if (s.is_flag) v->implicit_value("1");
    opts.add_options()(s.name.c_str(), v, s.help.c_str());
  }
  po::options_description run("run options");
  add_run_options(run, 10);
  run.add_options()("output,o", po::value<std::string>(), "also write the JSON result to FILE");
  add_common(run, kJson);
  opts.add(run);
  if (std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    print_bench_help(*bench, opts);
    return 0;
  }
  po::variables_map vm;
  if (!parse_options("bench " + name, "[options]", opts, args, vm)) return 0;
  std::map<std::string, std::string> given;
  for (const auto& s : bench->options()) given[s.name] = vm[s.name].as<std::string>();
  const Options options = resolve_options(*bench, given);

  json result;
  {
    StopSignals signals;
    Progress progress;
    result = run_bench(Host("/"), *bench, options, run_config(vm, progress));
  }
  if (vm.count("output")) {
    std::ofstream out(vm["output"].as<std::string>());
    if (!(out << dump_json(result, 2) << "\n")) throw InputError(vm["output"].as<std::string>() + ": cannot write");
  }
  if (read_common(vm).json)
    std::cout << dump_json(result, 2) << "\n";
  else
    print_result(result);
  return 0;
}

// --- compare -------------------------------------------------------------------------------------

void print_comparison(const json& c) {
  std::cout << c["bench"].get<std::string>() << ": B vs A, " << c["runs"]["a"] << " vs " << c["runs"]["b"] << " runs";
  if (!c["options_differ"].empty()) std::cout << " (options differ: " << c["options_differ"].dump() << ")";
  std::cout << "\n";
  if (c["underpowered"].get<bool>())
    std::cout << "UNDERPOWERED: at least " << c["min_runs_for_significance"]
              << " runs per side are needed for any verdict; every metric is inconclusive\n";
  if (c["too_disturbed"].is_string()) std::cout << "DISTURBED: " << c["too_disturbed"].get<std::string>() << "\n";
  std::cout << "\n" << std::left << std::setw(24) << "metric" << std::setw(9) << "ratio" << std::setw(22) << "95% CI"
            << std::setw(10) << "p" << std::setw(9) << "noise" << "verdict\n";
  for (const auto& m : c["metrics"]) {
    std::string verdict = m["verdict"].get<std::string>();
    if (m["more_runs_needed"].is_number())
      verdict += " (~" + std::to_string(m["more_runs_needed"].get<int>()) + " more runs each)";
    std::cout << std::setw(24) << m["metric"].get<std::string>() << std::setw(9) << num(m["ratio"]) << std::setw(22)
              << interval(m["ci95"]) << std::setw(10) << num(m["p"]) << std::setw(10)  // "±" is two bytes
              << ("±" + num(m["noise_threshold"].get<double>() * 100) + "%") << verdict << "\n";
  }
  // Why each inconclusive verdict is one, once per distinct reason.
  std::set<std::string> reasons;
  for (const auto& m : c["metrics"])
    if (m["verdict"] == "inconclusive" && reasons.insert(m["why"].get<std::string>()).second)
      std::cout << "inconclusive: " << m["why"].get<std::string>() << "\n";
  std::set<std::string> sources;
  for (const auto& m : c["metrics"]) sources.insert(m["noise_source"].get<std::string>());
  for (const auto& s : sources) std::cout << "noise: " << s << "\n";
  std::cout << "p: two-sided Mann-Whitney U; significance after Holm's correction across the "
            << c["metrics"].size() << " metrics at alpha " << num(c["alpha"]) << "\n";
}

int run_compare(const std::vector<std::string>& args) {
  po::options_description opts("bench compare options");
  opts.add_options()("a", po::value<std::string>()->required(), "baseline result (JSON)")(
      "b", po::value<std::string>()->required(), "candidate result (JSON)")(
      "noise-file", po::value<std::string>()->default_value(default_noise_path()), "A/A calibration file")(
      "allow-underpowered", po::bool_switch(),
      "compare even when too few runs were made for any verdict (all inconclusive) instead of exit 2");
  add_common(opts, kJson);
  po::positional_options_description pos;
  pos.add("a", 1).add("b", 1);
  po::variables_map vm;
  if (!parse_options("bench compare", "A.json B.json [--json] [--noise-file FILE] [--allow-underpowered]", opts, args,
                     vm, &pos))
    return 0;
  const json a = load_result_file(vm["a"].as<std::string>());  // A first: its errors are reported first
  const json b = load_result_file(vm["b"].as<std::string>());
  CompareOptions options;
  options.allow_underpowered = vm["allow-underpowered"].as<bool>();
  const json c = compare_results(a, b, NoiseTable::load(vm["noise-file"].as<std::string>()), options);
  if (read_common(vm).json)
    std::cout << dump_json(c, 2) << "\n";
  else
    print_comparison(c);
  return c["regressed"].get<bool>() ? kExitDrift : kExitOk;
}

// --- calibrate -----------------------------------------------------------------------------------

int run_calibrate(const std::vector<std::string>& args) {
  po::options_description opts("bench calibrate options");
  add_run_options(opts, 10);
  opts.add_options()("bench", po::value<std::string>(), "comma-separated benchmarks (default: all available)")(
      "noise-file", po::value<std::string>()->default_value(default_noise_path()), "where to store the result");
  add_common(opts, kJson);
  po::variables_map vm;
  if (!parse_options("bench calibrate",
                     "[--reps N] [--warmup N] [--bench NAME,...] [--noise-file FILE] [--json]\n\n"
                     "--json prints the stored calibration: {\"path\", \"noise\", \"skipped\"}.",
                     opts, args, vm))
    return 0;
  const std::string path = vm["noise-file"].as<std::string>();
  NoiseTable table = NoiseTable::load(path);
  std::vector<std::string> names = vm.count("bench") ? split_commas(vm["bench"].as<std::string>()) : bench_names();
  json skipped = json::object();
  std::map<std::string, CalibrationKey> keys;
  {
    StopSignals signals;
    Progress progress;
    for (const auto& name : names) {
      auto probe = make_bench(name);
      const Options o = resolve_options(*probe, {});
      if (auto why = probe->unavailable(Host("/"), o)) {
        skipped[name] = *why;
        continue;
      }
      const AbResult aa = run_ab(Host("/"), name, o, o, run_config(vm, progress));
      table.update_from_aa(aa.a, aa.b);
      keys[name] = {name, aa.a["options"], vm["reps"].as<int>()};
    }
  }
  table.save(path);
  if (read_common(vm).json) {
    std::cout << dump_json(json{{"path", path}, {"noise", table.data()}, {"skipped", skipped}}, 2) << "\n";
    return 0;
  }
  for (const auto& name : names) {
    if (skipped.contains(name)) {
      std::cout << name << ": skipped (" << skipped[name].get<std::string>() << ")\n";
      continue;
    }
    for (const auto& [metric, m] : (*table.find(keys.at(name)))["metrics"].items())
      std::cout << std::left << std::setw(14) << name << std::setw(18) << metric << "±"
                << (m["noise"].is_number() ? num(m["noise"].get<double>() * 100) + "%" : "default")
                << (m.value("capped", false) ? " (capped; measured ±" + num(m["reach"].get<double>() * 100) + "%)" : "")
                << "\n";
  }
  std::cout << "valid for the default options and " << vm["reps"].as<int>() << " runs per side only\n";
  std::cout << "stored in " << path << "\n";
  return 0;
}

int run_bench_verb(const std::vector<std::string>& args) {
  std::string names;
  for (const auto& n : bench_names()) names += (names.empty() ? "" : " ") + n;
  return run_subcommand(
      "bench", args,
      {{"list", "", "the benchmarks, their options and metrics, and whether they can run here", run_list},
       {"compare", "A.json B.json", "ratio of medians, 95% CI, Mann-Whitney p and a verdict; exit 1 on a regression",
        run_compare},
       {"calibrate", "", "A/A runs that set this host's noise threshold per metric", run_calibrate}},
      SubcommandFallback{"NAME", "run one benchmark (tunectl bench NAME --help: its options and metrics)", run_named},
      "benchmarks: " + names);
}

}  // namespace

Verb verb_bench() { return {"bench", "run microbenchmarks, compare results with honest statistics", run_bench_verb}; }

}  // namespace tunectl::cli
