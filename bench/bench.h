// Benchmarks: each one file in bench/, listed by one line in bench/benchmarks.def.
// A benchmark runs one repetition at a time and reduces it to one number per metric; the runner
// (runner.h) does warm-up, repetitions, interleaving, environment capture and statistics.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"

namespace tunectl::bench {

struct OptionSpec {
  std::string name;           // "msg-size"
  std::string default_value;  // "64"
  std::string help;
  bool is_flag = false;  // takes no value on the CLI ("--keepalive" means "1")
};

struct MetricSpec {
  std::string name;  // "rtt_p50_us"
  std::string unit;  // "us"
  bool higher_is_better = false;
};

// Options after defaults are applied; typed getters throw InputError naming the option.
class Options {
 public:
  Options() = default;
  explicit Options(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  std::string str(const std::string& name) const;
  int64_t integer(const std::string& name) const;
  double number(const std::string& name) const;
  // Within [lo, hi], or InputError naming the option and the range.
  int64_t integer_in(const std::string& name, int64_t lo, int64_t hi) const;
  double number_in(const std::string& name, double lo, double hi) const;
  bool flag(const std::string& name) const;  // "1", "true", "yes", "on"
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

// One repetition's outcome.
struct RunResult {
  std::map<std::string, double> metrics;  // one number per metric for this run
  json detail = json::object();           // extra per-run data (histograms, matrices, counters)
  std::optional<std::string> disturbed;   // why this run should not be trusted, if it should not
};

class Benchmark {
 public:
  virtual ~Benchmark() = default;
  virtual std::string name() const = 0;
  virtual std::string summary() const = 0;
  virtual std::vector<OptionSpec> options() const = 0;
  virtual std::vector<MetricSpec> metrics() const = 0;
  // Why it cannot run here (no root, no cgroup cpu controller, single CPU), or nullopt.
  virtual std::optional<std::string> unavailable(const Host& host, const Options& opts) const = 0;
  // Called once before the warm-up and once after the last run (always, even on error).
  virtual void setup(const Options&) {}
  virtual void teardown() {}
  // One repetition. Throws tunectl::Error on failure.
  virtual RunResult run_once(const Options& opts) = 0;
  // Result-level extras (e.g. "thp confirmed in smaps"), merged into the result's "notes".
  virtual json notes() const { return json::object(); }
  // Roughly how long one run takes with these options on an idle host, for `audit --dry-run`'s
  // estimate and the ETA of its progress; measured runs replace it as they come in.
  virtual double estimated_seconds(const Options& opts) const = 0;
  // Adjusts options the caller left unset (absent from `given`) so that `runs` runs in a row fit
  // this host's limits; an audit calls it for all its runs of this benchmark. Default: nothing.
  virtual void fit_to_runs(const Host& host, std::map<std::string, std::string>& given, int runs) const {
    (void)host, (void)given, (void)runs;
  }
};

struct BenchKind {
  std::string name;
  std::function<std::unique_ptr<Benchmark>()> make;
};
// Every benchmark, in bench/benchmarks.def order. Each bench file defines bench_<name>().
const std::vector<BenchKind>& bench_kinds();
#define TUNECTL_BENCH(name) BenchKind bench_##name();
#include "bench/benchmarks.def"
#undef TUNECTL_BENCH

// The benchmark for a name, or throws InputError listing the known names.
std::unique_ptr<Benchmark> make_bench(const std::string& name);
// Registered benchmark names, sorted.
std::vector<std::string> bench_names();
// The benchmark's defaults overlaid with `given` (names with dashes or underscores); an option the
// benchmark does not declare throws InputError naming it.
Options resolve_options(const Benchmark& bench, const std::map<std::string, std::string>& given);

}  // namespace tunectl::bench
