// The benchmark runner: setup, discarded warm-up runs, measured repetitions (two conditions
// interleaved A B, B A, A B ...), per-run environment capture (steal time from /proc/stat, the
// process's own cgroup throttling, involuntary context switches, the run-queue wait of this
// process's threads, how busy other tasks kept the CPUs), disturbed-run flagging, and the result
// JSON (schema "tunectl.bench/1").
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/json.h"
#include "bench/bench.h"

namespace tunectl::bench {

constexpr const char* kResultSchema = "tunectl.bench/1";
// A run is "disturbed" when the hypervisor stole more than this share of CPU time during it.
constexpr double kDisturbedStealPct = 5.0;
// ... or when this process's threads spent more than this share of their runnable time waiting on
// a run queue (run_queue_wait_share = wait / (wait + on-CPU), from the schedstat of every thread of
// the process over the run, threads the benchmark started and joined inside it included) while
// other tasks kept the CPUs those threads ran on more than kDisturbedOtherBusyPct busy
// (other_busy_on_own_cpus_pct). Both were measured on a 2-vCPU VM (docs/benchmarks.md): idle, the
// share stays under 5% for tcp_rr, tcp_crr, tcp_stream, wakeup, mem_latency and page_fault; with
// a CPU hog on one of their CPUs it is 40-52%. The second condition is there because threads that
// share one CPU by design (client and server both on CPU 1, or unpinned and put together by the
// scheduler) wait for each other: share ~35% on an idle host, with other tasks' load on their CPU
// under 10% (20-80% when a hog disturbs them).
constexpr double kDisturbedRunQueueWaitShare = 0.10;
constexpr double kDisturbedOtherBusyPct = 15.0;

struct RunConfig {
  int reps = 10;
  int warmup = 1;
  // Called before every run, warm-up included: ("tcp_rr", "warm-up 1/1") / ("tcp_rr", "run 3/10").
  std::function<void(const std::string& bench, const std::string& step)> progress;
  // Polled before every run, and when a run fails (a signal may have cut a system call short):
  // true stops the benchmark, tears it down (its cgroup removed) and throws Error with
  // kExitInterrupted. The CLI sets it from SIGINT/SIGTERM, Python from PyErr_CheckSignals.
  std::function<bool()> interrupted;
};

// Runs `bench` and returns its result. A benchmark unavailable on `host` gives a result with
// "unavailable" set and no runs. The run environment (steal from /proc/stat, this process's
// cgroup throttling, online CPUs, load) is read through `host`. Throws Error when a run fails
// or cfg.interrupted says stop (teardown still runs).
json run_bench(const Host& host, Benchmark& bench, const Options& opts, const RunConfig& cfg);

// Why a run with this "env" (as recorded in a result's runs[i].env) should not be trusted, or
// nullopt: steal over kDisturbedStealPct, own cgroup throttled, or run_queue_wait_share over
// kDisturbedRunQueueWaitShare with other_busy_on_own_cpus_pct over kDisturbedOtherBusyPct (or
// unknown); that reason also gives the involuntary switches and the load on all CPUs.
std::optional<std::string> run_disturbance(const json& run_env);

// Two conditions interleaved run by run, the order alternating (A B, B A, A B ...; warm-ups
// alternate the same way, from A B), so slow drift and whatever the first of a pair pays land on
// both equally. Each run's env has "position_in_pair" (0 first, 1 second); the results' env has
// "order": "ABBA alternating". Each side is a separate instance (its own setup/teardown).
struct AbResult {
  json a, b;
};
AbResult run_ab(const Host& host, Benchmark& bench_a, Benchmark& bench_b, const Options& opts_a,
                const Options& opts_b, const RunConfig& cfg);
// The same for a registered benchmark: two instances made by make_bench(name).
AbResult run_ab(const Host& host, const std::string& bench, const Options& opts_a, const Options& opts_b,
                const RunConfig& cfg);

// run_ab's two sides driven pair by pair by the caller: an audit interleaves its benchmarks round
// by round and switches the host's state before each run. Both sides are set up on construction
// (after the availability check) and torn down by finish() or the destructor.
class PairedRuns {
 public:
  PairedRuns(const Host& host, const std::string& bench, const Options& a, const Options& b, int reps, int warmup);
  ~PairedRuns();
  std::optional<std::string> unavailable() const;  // either side's reason; then pair() does nothing
  // Pair k (A B for even k, B A for odd); before_run(0 = A, 1 = B) is called before each run.
  // Warm-up pairs (measured = false) are not recorded.
  void pair(int k, bool measured, const std::function<void(int side)>& before_run);
  AbResult finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tunectl::bench
