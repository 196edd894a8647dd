// wakeup: how long a blocked thread takes to run after another CPU wakes it (eventfd ping-pong
// between two pinned threads, one-way latency from the write to the wakee running), and how late
// a timer fires (clock_nanosleep TIMER_ABSTIME overshoot, cyclictest-style). Optionally under
// SCHED_FIFO with mlockall when run as root. Shows the effect of idle states, nohz_full, IRQ
// placement and isolation on the CPUs involved.
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <numeric>
#include <thread>

#include "core/errors.h"
#include "core/unique_fd.h"
#include "bench/affinity.h"
#include "bench/bench.h"
#include "bench/bench_clock.h"
#include "bench/contention.h"
#include "bench/stats.h"

namespace tunectl::bench {
namespace {


// An eventfd used as a binary semaphore between the two threads.
class EventFd {
 public:
  EventFd() : fd_(::eventfd(0, EFD_CLOEXEC)) {
    if (!fd_.valid()) throw Error(std::string("eventfd: ") + std::strerror(errno));
  }
  void signal() const {
    uint64_t one = 1;
    while (::write(fd_.get(), &one, sizeof one) < 0 && errno == EINTR) {
    }
  }
  void wait() const {
    uint64_t v;
    while (::read(fd_.get(), &v, sizeof v) < 0 && errno == EINTR) {
    }
  }

 private:
  UniqueFd fd_;
};

void make_fifo(bool on) {
  if (!on) return;
  sched_param p{};
  p.sched_priority = 80;
  if (int err = ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &p))
    throw Error(std::string("SCHED_FIFO: ") + std::strerror(err));
}

// Log2 histogram in microseconds: bucket k holds [2^(k-1), 2^k) us, bucket 0 holds < 1 us.
// 40 buckets reach 2^39 us (six days): no sample of a bounded run can overflow the last one.
json histogram_us(const std::vector<double>& us) {
  std::vector<int64_t> buckets(40, 0);
  for (double v : us) {
    int k = v < 1 ? 0 : std::min(39, 1 + static_cast<int>(std::floor(std::log2(v))));
    ++buckets[static_cast<size_t>(k)];
  }
  while (buckets.size() > 1 && buckets.back() == 0) buckets.pop_back();
  json h = json::array();
  for (size_t k = 0; k < buckets.size(); ++k)
    h.push_back({{"lt_us", int64_t{1} << k}, {"count", buckets[k]}});
  return h;
}

// Pins the calling (benchmark-owned) thread and, if asked, makes it SCHED_FIFO. Failures are
// returned rather than thrown so a ping-pong partner never waits forever for a thread that died.
std::exception_ptr prepare_thread(int cpu, bool fifo) {
  try {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0)
      throw Error("cannot pin to CPU " + std::to_string(cpu) + ": " + std::strerror(errno));
    make_fifo(fifo);
    return nullptr;
  } catch (...) {
    return std::current_exception();
  }
}

// One-way wakeup latencies (us): A stamps and signals; B, blocked in read(), stamps on waking.
// Both sides run in threads of their own, so the caller's affinity and policy are never touched.
std::vector<double> ping_pong(int cpu_a, int cpu_b, int64_t samples, bool fifo) {
  EventFd to_b, to_a;
  std::atomic<int64_t> sent{0};
  std::vector<double> lat(static_cast<size_t>(samples));
  std::exception_ptr fail_a, fail_b;
  std::thread b([&] {
    const contention::ThreadExitRecord record;  // the runner counts its run-queue wait
    fail_b = prepare_thread(cpu_b, fifo);
    for (int64_t i = 0; i < samples; ++i) {
      to_b.wait();
      lat[static_cast<size_t>(i)] = static_cast<double>(now_ns() - sent.load(std::memory_order_acquire)) / 1000.0;
      to_a.signal();
    }
  });
  std::thread a([&] {
    const contention::ThreadExitRecord record;  // the runner counts its run-queue wait
    fail_a = prepare_thread(cpu_a, fifo);
    for (int64_t i = 0; i < samples; ++i) {
      // Give B time to block again, so every sample is a real wakeup and not a spin.
      const int64_t until = now_ns() + 20000;
      while (now_ns() < until) {
      }
      sent.store(now_ns(), std::memory_order_release);
      to_b.signal();
      to_a.wait();
    }
  });
  a.join();
  b.join();
  for (const auto& f : {fail_a, fail_b})
    if (f) std::rethrow_exception(f);
  return lat;
}

// Timer overshoot (us) of absolute-deadline sleeps every interval_us on `cpu` (cyclictest's
// latency: wake-up time minus the programmed expiry).
std::vector<double> timer_overshoot(int cpu, int64_t samples, int64_t interval_us, bool fifo) {
  std::vector<double> over;
  over.reserve(static_cast<size_t>(samples));
  std::exception_ptr failure;
  std::thread t([&] {
    const contention::ThreadExitRecord record;  // the runner counts its run-queue wait
    failure = prepare_thread(cpu, fifo);
    if (failure) return;
    int64_t next = now_ns() + interval_us * 1000;
    for (int64_t i = 0; i < samples; ++i) {
      timespec ts{static_cast<time_t>(next / 1000000000), static_cast<long>(next % 1000000000)};
      while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
      }
      over.push_back(static_cast<double>(now_ns() - next) / 1000.0);
      next += interval_us * 1000;
    }
  });
  t.join();
  if (failure) std::rethrow_exception(failure);
  return over;
}

class Wakeup : public Benchmark {
 public:
  std::string name() const override { return "wakeup"; }
  std::string summary() const override {
    return "cross-CPU wakeup latency (eventfd ping-pong) and timer overshoot (cyclictest-style)";
  }
  std::vector<OptionSpec> options() const override {
    return {{"mode", "both", "what to measure: both, wakeup (ping-pong only) or timer (timer only)"},
            {"cpu-a", "0", "CPU of the waking thread"},
            {"cpu-b", "1", "CPU of the woken thread and of the timer thread"},
            {"samples", "5000", "wakeups per run (100..1000000)"},
            {"timer-samples", "1000", "timer expiries per run (10..1000000; samples x interval <= 60 s)"},
            {"interval-us", "1000", "timer interval in usec (50..1000000)"},
            {"fifo", "0", "run the threads SCHED_FIFO 80 with mlockall (root only)", true}};
  }
  double estimated_seconds(const Options& opts) const override {
    // ~20 us per ping-pong wakeup, plus the timer expiries at their interval.
    return 20e-6 * opts.number("samples") + opts.number("timer-samples") * opts.number("interval-us") * 1e-6;
  }
  std::vector<MetricSpec> metrics() const override {
    return {{"wakeup_p50_us", "us", false},         {"wakeup_p99_us", "us", false},
            {"wakeup_max_us", "us", false},         {"timer_overshoot_p50_us", "us", false},
            {"timer_overshoot_avg_us", "us", false}, {"timer_overshoot_p99_us", "us", false},
            {"timer_overshoot_max_us", "us", false}};
  }
  std::optional<std::string> unavailable(const Host& host, const Options& o) const override {
    check_options(o);
    if (!host.is_live()) return "runs on the live host only";
    if (o.flag("fifo") && ::geteuid() != 0) return "--fifo needs root (SCHED_FIFO and mlockall)";
    const auto cpus = allowed_cpus();
    for (const char* opt : {"cpu-a", "cpu-b"})
      if (std::find(cpus.begin(), cpus.end(), o.integer(opt)) == cpus.end())
        return std::string("--") + opt + " " + std::to_string(o.integer(opt)) + " is not a CPU this process may use";
    return std::nullopt;
  }
  void setup(const Options& o) override {
    locked_ = o.flag("fifo") && ::mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
  }
  void teardown() override {
    if (locked_) ::munlockall();
    locked_ = false;
  }
  RunResult run_once(const Options& o) override {
    const bool fifo = o.flag("fifo");
    const std::string mode = o.str("mode");
    const int a = static_cast<int>(o.integer("cpu-a")), b = static_cast<int>(o.integer("cpu-b"));
    RunResult r;
    if (mode != "timer") {
      auto wake = ping_pong(a, b, o.integer("samples"), fifo);
      r.metrics["wakeup_p50_us"] = stats::percentile(wake, 50);
      r.metrics["wakeup_p99_us"] = stats::percentile(wake, 99);
      r.metrics["wakeup_max_us"] = stats::percentile(wake, 100);
      r.detail["wakeup_histogram"] = histogram_us(wake);
      r.detail["same_cpu"] = a == b;
    }
    if (mode != "wakeup") {
      auto timer = timer_overshoot(b, o.integer("timer-samples"), o.integer("interval-us"), fifo);
      r.metrics["timer_overshoot_p50_us"] = stats::percentile(timer, 50);
      r.metrics["timer_overshoot_avg_us"] =
          std::accumulate(timer.begin(), timer.end(), 0.0) / static_cast<double>(timer.size());
      r.metrics["timer_overshoot_p99_us"] = stats::percentile(timer, 99);
      r.metrics["timer_overshoot_max_us"] = stats::percentile(timer, 100);
      r.detail["timer_histogram"] = histogram_us(timer);
    }
    r.detail["sched"] = fifo ? "SCHED_FIFO 80" : "SCHED_OTHER";
    return r;
  }

 private:
  // Bad option values are usage errors (InputError), not reasons the host cannot run this.
  static void check_options(const Options& o) {
    const std::string mode = o.str("mode");
    if (mode != "both" && mode != "wakeup" && mode != "timer")
      throw InputError("option --mode: expected both, wakeup or timer, got '" + mode + "'");
    o.integer_in("cpu-a", 0, CPU_SETSIZE - 1);
    o.integer_in("cpu-b", 0, CPU_SETSIZE - 1);
    o.integer_in("samples", 100, 1000000);
    const int64_t n = o.integer_in("timer-samples", 10, 1000000);
    const int64_t interval = o.integer_in("interval-us", 50, 1000000);
    if (n * interval > 60 * 1000000)
      throw InputError("options --timer-samples x --interval-us: " + std::to_string(n * interval / 1000000) +
                       " s per run is over the 60 s bound");
    o.flag("fifo");
  }

  bool locked_ = false;
};

}  // namespace

BenchKind bench_wakeup() { return {"wakeup", [] { return std::make_unique<Wakeup>(); }}; }

}  // namespace tunectl::bench
