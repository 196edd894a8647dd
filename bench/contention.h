// Contention a benchmark meets on its CPUs: how long this process's threads waited on a run queue
// (/proc/self/task/*/schedstat, plus the final numbers of benchmark threads that exited), how busy
// other tasks kept the CPUs (per-CPU /proc/stat busy ticks minus this process's own CPU time), and
// which allowed CPUs are least loaded right now (for `auto` thread placement).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"

namespace tunectl::bench::contention {

// Fields 1 and 2 of /proc/<tid>/schedstat: ns spent on a CPU, ns spent runnable on a run queue.
struct ThreadTimes {
  int64_t on_cpu_ns = 0, wait_ns = 0;
};
ThreadTimes operator+(const ThreadTimes& a, const ThreadTimes& b);
ThreadTimes operator-(const ThreadTimes& a, const ThreadTimes& b);
std::optional<ThreadTimes> parse_schedstat(const std::string& text);
// Field 39 of /proc/<tid>/stat: the CPU the thread last ran on (the name in field 2 may hold
// spaces and parentheses: fields are counted after its last ')').
std::optional<int> parse_stat_cpu(const std::string& text);

// One thread's cumulative times and the CPU it last ran on (-1: unknown).
struct ThreadSample {
  ThreadTimes times;
  int cpu = -1;
};
// A benchmark thread's final sample, recorded as it ends; `seq` counts records in this process.
struct ThreadExit {
  uint64_t seq = 0;
  int tid = 0;
  ThreadSample last;
};
// This process's threads at one moment: the live ones, and the newest kExitLog exit records
// (ascending seq; exit_seq is the newest one's, 0 before any).
constexpr size_t kExitLog = 4096;
struct Threads {
  std::map<int, ThreadSample> live;
  std::vector<ThreadExit> exits;
  uint64_t exit_seq = 0;
};

// What this process's threads did between two moments: each thread's value at `b` minus its value
// at `a` (0 when it started in between), where a thread's value is its exit record once it has
// one (it may still be listed for a moment after recording, and after join() returned), else its
// live sample. So threads that start and end within the interval count, and none counts twice.
// On-CPU time is attributed to the CPU the thread last ran on (exact for a pinned thread).
struct ThreadsDelta {
  ThreadTimes total;
  std::map<int, int64_t> on_cpu_ns_by_cpu;
};
ThreadsDelta diff(const Threads& a, const Threads& b);

// /proc/self/task of `host` and this process's exit log; nullopt when no thread's schedstat is
// readable (kernel without CONFIG_SCHED_INFO, or a captured tree).
std::optional<Threads> process_threads(const Host& host);

// Adds the calling thread's final /proc/thread-self/schedstat and CPU to this process's exit log.
// Call it last thing in a thread the benchmark creates and joins inside a run; ThreadExitRecord
// (declared first in the thread's function) does.
void record_thread_exit();
struct ThreadExitRecord {
  ThreadExitRecord() = default;
  ThreadExitRecord(const ThreadExitRecord&) = delete;
  ThreadExitRecord& operator=(const ThreadExitRecord&) = delete;
  ~ThreadExitRecord() { record_thread_exit(); }
};

// Per-CPU lines of /proc/stat ("cpu3 user nice system idle iowait irq softirq steal ..."), in
// USER_HZ ticks. busy = user + nice + system + irq + softirq (guest time is inside user); idle,
// iowait and steal are not work done on this guest. steal: time the hypervisor ran something else
// on this vCPU, which placement counts as taken (our threads could not have had it either).
struct CpuTicks {
  int64_t busy = 0, steal = 0, total = 0;
};
std::map<int, CpuTicks> parse_cpu_lines(const std::string& proc_stat);
std::map<int, CpuTicks> read_cpu_ticks(const Host& host);  // empty when unreadable

// One point in time for a run's contention.
struct Point {
  std::optional<Threads> threads;
  std::map<int, CpuTicks> cpus;
  int64_t own_cpu_ns = 0;  // getrusage(RUSAGE_SELF) user + system, exited threads included
  int64_t mono_ns = 0;
};
Point sample(const Host& host);

// A run's numbers, as they go into its "env" (null where the source was unreadable):
//   run_queue_wait_ms, on_cpu_ms   this process's threads over the run
//   run_queue_wait_share           wait / (wait + on-CPU): the share of the threads' runnable time
//                                  spent waiting for a CPU (null when they never ran)
//   other_cpu_busy_pct             busy ticks of all CPUs minus this process's CPU time, over wall
//                                  time x CPUs
//   other_busy_on_own_cpus_pct     the same per CPU the threads ran on, averaged with their on-CPU
//                                  time there as weights: what other tasks took from *their* CPUs
//                                  (waiting behind the benchmark's own threads does not count)
// `ticks_per_s` is USER_HZ.
json delta(const Point& a, const Point& b, int64_t ticks_per_s);

// Busy share (0..100) of each CPU between two readings of per-CPU /proc/stat ticks; steal counts
// as busy (CpuTicks). cpu_busy_pct takes the two readings `window_ms` apart.
std::map<int, double> busy_pct_between(const std::map<int, CpuTicks>& a, const std::map<int, CpuTicks>& b);
std::map<int, double> cpu_busy_pct(const Host& host, int window_ms);

// `n` CPUs from `allowed` minus `taken`, least busy first: the least busy CPU, where every CPU
// within `tie_pct` points of it counts as tied and the lowest number wins, then the same among
// the rest. CPUs missing from `busy` count as 100% busy. When `allowed` minus `taken` runs out,
// the choice starts again over all of `allowed` (one CPU: client and server share it).
std::vector<int> least_busy(const std::vector<int>& allowed, const std::map<int, double>& busy,
                            const std::set<int>& taken, size_t n, double tie_pct);

}  // namespace tunectl::bench::contention
