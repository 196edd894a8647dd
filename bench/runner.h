// The benchmark runner: setup, discarded warm-up runs, measured repetitions (interleaved A B A B
// when two conditions are compared), per-run environment capture (steal time from /proc/stat, the
// process's own cgroup throttling, involuntary context switches), disturbed-run flagging, and the
// result JSON (schema "tunectl.bench/1").
#pragma once
#include <functional>
#include <optional>
#include <string>

#include "core/json.h"
#include "bench/bench.h"

namespace tunectl::bench {

constexpr const char* kResultSchema = "tunectl.bench/1";
// A run is "disturbed" when the hypervisor stole more than this share of CPU time during it.
constexpr double kDisturbedStealPct = 5.0;

struct RunConfig {
  int reps = 10;
  int warmup = 1;
  // Called before every run, warm-up included: ("tcp_rr", "warm-up 1/1") / ("tcp_rr", "run 3/10").
  std::function<void(const std::string& bench, const std::string& step)> progress;
};

// Runs `bench` and returns its result. A benchmark unavailable on `host` gives a result with
// "unavailable" set and no runs. The run environment (steal from /proc/stat, this process's
// cgroup throttling, online CPUs, load) is read through `host`. Throws Error when a run fails
// (teardown still runs).
json run_bench(const Host& host, Benchmark& bench, const Options& opts, const RunConfig& cfg);

// Two conditions interleaved run by run (A B A B ...), warm-ups included, so slow drift in the
// machine lands on both equally. Each side is a separate instance (its own setup/teardown).
struct AbResult {
  json a, b;
};
AbResult run_ab(const Host& host, Benchmark& bench_a, Benchmark& bench_b, const Options& opts_a,
                const Options& opts_b, const RunConfig& cfg);
// The same for a registered benchmark: two instances made by make_bench(name).
AbResult run_ab(const Host& host, const std::string& bench, const Options& opts_a, const Options& opts_b,
                const RunConfig& cfg);

}  // namespace tunectl::bench
