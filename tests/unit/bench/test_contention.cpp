// Contention bookkeeping: schedstat and /proc/stat parsing, the exited-thread ledger arithmetic,
// a run's contention numbers from two synthetic points, the disturbance rule, least-busy CPU
// choice, thread placement options, and the A B / B A order of interleaved runs.
#include <gtest/gtest.h>

#include "bench/affinity.h"
#include "bench/bench.h"
#include "bench/bench_clock.h"
#include "bench/contention.h"
#include "bench/loopback.h"
#include "bench/runner.h"
#include "core/errors.h"
#include "tests/unit/test_helpers.h"

namespace tunectl::bench {
namespace {

using contention::CpuTicks;
using contention::ThreadExit;
using contention::Threads;
using contention::ThreadTimes;

TEST(Contention, ParsesSchedstatAndTheCpuFieldOfStat) {
  const auto t = contention::parse_schedstat("4102779 14485504 2\n");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->on_cpu_ns, 4102779);
  EXPECT_EQ(t->wait_ns, 14485504);
  EXPECT_FALSE(contention::parse_schedstat("12\n"));
  EXPECT_FALSE(contention::parse_schedstat("12 x 3\n"));
  EXPECT_FALSE(contention::parse_schedstat("-1 2 3\n"));
  // A thread name with a space and a ')' of its own; field 39 is 3.
  std::string stat = "4242 (a) b) S";
  for (int field = 4; field <= 52; ++field) stat += " " + std::to_string(field == 39 ? 3 : 100 + field);
  EXPECT_EQ(contention::parse_stat_cpu(stat + "\n"), 3);
  EXPECT_FALSE(contention::parse_stat_cpu("4242 (a) S 1 2 3\n"));
}

ThreadExit exit_of(uint64_t seq, int tid, ThreadTimes t, int cpu) { return {seq, tid, {t, cpu}}; }

// Thread 1 lives through the run; thread 2 was live at the start and exits during it; thread 3
// starts and exits inside it and is never seen live; thread 2 is still listed (with its final
// numbers) when the end point is taken and must not count twice; thread 9 exited before the run
// and is still listed: it counts nothing.
TEST(Contention, DiffCountsThreadsThatExitDuringTheRunOnce) {
  Threads start;
  start.live = {{1, {{100, 10}, 0}}, {2, {{50, 5}, 1}}, {9, {{7, 7}, 1}}};
  start.exits = {exit_of(1, 9, {7, 7}, 1)};
  start.exit_seq = 1;
  Threads end;
  end.live = {{1, {{200, 12}, 0}}, {2, {{80, 30}, 1}}, {9, {{7, 7}, 1}}};
  end.exits = {exit_of(1, 9, {7, 7}, 1), exit_of(2, 2, {80, 30}, 1), exit_of(3, 3, {40, 20}, 0)};
  end.exit_seq = 3;
  const auto d = contention::diff(start, end);
  // live at end - live at start + exited during the run
  EXPECT_EQ(d.total.on_cpu_ns, (200 - 100) + (80 - 50) + 40);
  EXPECT_EQ(d.total.wait_ns, (12 - 10) + (30 - 5) + 20);
  EXPECT_EQ(d.on_cpu_ns_by_cpu, (std::map<int, int64_t>{{0, 100 + 40}, {1, 30}}));
  // Once thread 2 is gone from the listing, nothing changes.
  end.live.erase(2);
  EXPECT_EQ(contention::diff(start, end).total.on_cpu_ns, d.total.on_cpu_ns);
}

// A Worker thread that burns 20 ms of CPU and is joined: its time is in the run's total even
// though the thread is gone (without its exit record it would vanish with the thread).
TEST(Contention, WorkerThreadTimeSurvivesItsExit) {
  const Host live("/");
  const auto before = contention::process_threads(live);
  ASSERT_TRUE(before) << "no readable /proc/self/task/*/schedstat";
  {
    loopback::Worker w([] {
      const double t0 = thread_cpu_seconds();
      while (thread_cpu_seconds() - t0 < 0.02) {
      }
    });
    w.join();
  }
  const auto after = contention::process_threads(live);  // the task may still be listed: not twice
  ASSERT_TRUE(after);
  const auto d = contention::diff(*before, *after);
  EXPECT_GE(d.total.on_cpu_ns, 20000000);
  EXPECT_LT(d.total.on_cpu_ns, 40000000);
  EXPECT_EQ(after->exit_seq, before->exit_seq + 1);
}

TEST(Contention, ParsesPerCpuLinesOnly) {
  const auto cpus = contention::parse_cpu_lines(
      "cpu  900 9 90 9000 90 9 9 9 0 0\n"
      "cpu0 100 1 10 1000 10 2 3 4 50 0\n"
      "cpu1 200 0 20 2000 0 0 0 0 0 0\n"
      "intr 1 2 3\nctxt 44\n");
  ASSERT_EQ(cpus.size(), 2u);
  // busy = user + nice + system + irq + softirq; total adds idle, iowait, steal (guest is in user)
  EXPECT_EQ(cpus.at(0).busy, 100 + 1 + 10 + 2 + 3);
  EXPECT_EQ(cpus.at(0).total, 100 + 1 + 10 + 1000 + 10 + 2 + 3 + 4);
  EXPECT_EQ(cpus.at(0).steal, 4);
  EXPECT_EQ(cpus.at(1).busy, 220);
}

// A vCPU the hypervisor gave away is as unavailable to our threads as one other tasks use.
TEST(Contention, BusyShareCountsStealAsTaken) {
  const auto a = contention::parse_cpu_lines("cpu0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0\n");
  const auto b = contention::parse_cpu_lines(
      "cpu0 85 0 0 0 0 0 0 15\n"   // spinning, 15 % stolen
      "cpu1 10 0 0 60 0 0 0 30\n"  // 10 % used, 30 % stolen
      "cpu2 50 0 0 50 0 0 0 0\n");  // absent before: no share
  const auto busy = contention::busy_pct_between(a, b);
  ASSERT_EQ(busy.size(), 2u);
  EXPECT_DOUBLE_EQ(busy.at(0), 100.0);
  EXPECT_DOUBLE_EQ(busy.at(1), 40.0);
}

contention::Point point(int64_t mono_ns, std::optional<Threads> threads, std::map<int, CpuTicks> cpus,
                        int64_t own_cpu_ns) {
  contention::Point p;
  p.mono_ns = mono_ns;
  p.threads = std::move(threads);
  p.cpus = std::move(cpus);
  p.own_cpu_ns = own_cpu_ns;
  return p;
}

Threads threads(std::map<int, contention::ThreadSample> live) {
  Threads t;
  t.live = std::move(live);
  return t;
}

TEST(Contention, RunDeltaGivesWaitShareAndOtherLoad) {
  // 1 s of wall time on 2 CPUs at 100 ticks/s. Thread 1 on CPU 0 ran 0.4 s and waited 0.3 s,
  // thread 2 on CPU 1 ran 0.2 s and waited 0.1 s. CPU 0 was busy 0.9 s (0.5 s of it not ours),
  // CPU 1 0.3 s (0.1 s not ours): 1.2 busy CPU-s, 0.6 of them ours.
  const auto a = point(0, threads({{1, {{0, 0}, 0}}, {2, {{0, 0}, 1}}}), {{0, {100, 1000}}, {1, {200, 1000}}}, 0);
  const auto b = point(1000000000, threads({{1, {{400000000, 300000000}, 0}}, {2, {{200000000, 100000000}, 1}}}),
                       {{0, {190, 1100}}, {1, {230, 1100}}}, 600000000);
  const json d = contention::delta(a, b, 100);
  EXPECT_DOUBLE_EQ(d["run_queue_wait_ms"].get<double>(), 400.0);
  EXPECT_DOUBLE_EQ(d["on_cpu_ms"].get<double>(), 600.0);
  EXPECT_DOUBLE_EQ(d["run_queue_wait_share"].get<double>(), 0.4);
  EXPECT_NEAR(d["other_cpu_busy_pct"].get<double>(), 30.0, 1e-9);                  // 0.6 / (1 s x 2)
  EXPECT_NEAR(d["other_busy_on_own_cpus_pct"].get<double>(), (0.4 * 50 + 0.2 * 10) / 0.6, 1e-9);

  // No schedstat: the thread numbers are null, the CPU-wide number still there.
  const json none =
      contention::delta(point(0, std::nullopt, a.cpus, 0), point(1000000000, std::nullopt, b.cpus, 0), 100);
  EXPECT_TRUE(none["run_queue_wait_share"].is_null());
  EXPECT_TRUE(none["run_queue_wait_ms"].is_null());
  EXPECT_TRUE(none["other_busy_on_own_cpus_pct"].is_null());
  EXPECT_NEAR(none["other_cpu_busy_pct"].get<double>(), 60.0, 1e-9);
  // Threads that never ran: no share; no /proc/stat: no load numbers.
  const json idle = contention::delta(a, point(1000000000, a.threads, {}, 0), 100);
  EXPECT_TRUE(idle["run_queue_wait_share"].is_null());
  EXPECT_EQ(idle["run_queue_wait_ms"], 0.0);
  EXPECT_TRUE(idle["other_cpu_busy_pct"].is_null());
  EXPECT_TRUE(idle["other_busy_on_own_cpus_pct"].is_null());
  // Our own CPU time over what the ticks show (tick sampling): clamped at 0, never negative.
  const json ours = contention::delta(a, point(1000000000, b.threads, a.cpus, 900000000), 100);
  EXPECT_EQ(ours["other_cpu_busy_pct"], 0.0);
  EXPECT_EQ(ours["other_busy_on_own_cpus_pct"], 0.0);
}

json run_env(double share, double own, int64_t switches, double other) {
  return {{"steal_pct", 0.0},
          {"nr_throttled", 0},
          {"throttled_usec", 0},
          {"involuntary_switches", switches},
          {"run_queue_wait_share", share},
          {"other_busy_on_own_cpus_pct", own},
          {"other_cpu_busy_pct", other}};
}

TEST(Contention, DisturbanceRuleNamesWhatWasSeen) {
  EXPECT_EQ(run_disturbance(run_env(0.38, 52, 1200, 71.0)),
            "threads waited 38% of their runnable time on a run queue (threshold 10%) while other tasks kept their "
            "CPUs 52% busy (threshold 15%); 1200 involuntary switches; other tasks kept all CPUs 71% busy");
  // At a threshold: kept.
  EXPECT_FALSE(run_disturbance(run_env(kDisturbedRunQueueWaitShare, 90, 5000, 100.0)));
  EXPECT_FALSE(run_disturbance(run_env(0.9, kDisturbedOtherBusyPct, 5000, 100.0)));
  EXPECT_TRUE(run_disturbance(run_env(kDisturbedRunQueueWaitShare + 0.001, kDisturbedOtherBusyPct + 0.1, 0, 0.0)));
  // Threads waiting for each other on one otherwise idle CPU are not disturbed.
  EXPECT_FALSE(run_disturbance(run_env(0.35, 2, 0, 50.0)));
  // Unknown share: no verdict; unknown load on their CPUs: the share alone decides.
  json unknown = run_env(0, 90, 0, 0);
  unknown["run_queue_wait_share"] = nullptr;
  EXPECT_FALSE(run_disturbance(unknown));
  json no_cpus = run_env(0.3, 0, 7, 0);
  no_cpus["other_busy_on_own_cpus_pct"] = nullptr;
  no_cpus["other_cpu_busy_pct"] = nullptr;
  EXPECT_EQ(run_disturbance(no_cpus),
            "threads waited 30% of their runnable time on a run queue (threshold 10%); 7 involuntary switches");
  // Steal and throttling still flag, and reasons are joined.
  json both = run_env(0.5, 20, 3, 10.0);
  both["steal_pct"] = 7.5;
  both["nr_throttled"] = 2;
  both["throttled_usec"] = 900;
  EXPECT_EQ(run_disturbance(both),
            "hypervisor steal 7.5%; own cgroup throttled 2 times (900 us); threads waited 50% of their runnable "
            "time on a run queue (threshold 10%) while other tasks kept their CPUs 20% busy (threshold 15%); 3 "
            "involuntary switches; other tasks kept all CPUs 10% busy");
  json steal_only = run_env(0.01, 0, 0, 0);
  steal_only["steal_pct"] = 5.5;
  EXPECT_EQ(run_disturbance(steal_only), "hypervisor steal 5.5%");
}

TEST(Contention, LeastBusyPrefersIdleCpusAndBreaksTiesLow) {
  const std::map<int, double> busy = {{0, 95}, {1, 3}, {2, 0}, {3, 50}};
  EXPECT_EQ(contention::least_busy({0, 1, 2, 3}, busy, {}, 2, 10), (std::vector<int>{1, 2}));
  EXPECT_EQ(contention::least_busy({0, 1, 2, 3}, busy, {}, 2, 0), (std::vector<int>{2, 1}));
  EXPECT_EQ(contention::least_busy({0, 1, 2, 3}, busy, {1}, 1, 10), (std::vector<int>{2}));
  EXPECT_EQ(contention::least_busy({0, 3}, busy, {}, 2, 10), (std::vector<int>{3, 0}));
  EXPECT_EQ(contention::least_busy({0}, busy, {}, 2, 10), (std::vector<int>{0, 0}));  // one CPU: shared
  EXPECT_EQ(contention::least_busy({0, 3}, busy, {3}, 2, 10), (std::vector<int>{0, 3}));
  EXPECT_EQ(contention::least_busy({5, 1}, busy, {}, 1, 10), (std::vector<int>{1}));  // 5 unknown: 100%
}

TEST(Placement, NumbersAndNoneAreTakenAsGivenAndAutoAvoidsTheOtherThread) {
  const Options none({{"client-cpu", "none"}, {"server-cpu", "none"}});
  const auto p = loopback::place_threads(none);
  EXPECT_FALSE(p.client);
  EXPECT_FALSE(p.server);
  EXPECT_FALSE(p.seen.contains("cpu_busy_pct_at_setup"));  // nothing sampled
  EXPECT_TRUE(p.seen["client_cpu"].is_null());

  const auto cpus = allowed_cpus();
  ASSERT_FALSE(cpus.empty());
  const auto fixed = loopback::place_threads(
      Options(std::map<std::string, std::string>{{"client-cpu", std::to_string(cpus[0])}, {"server-cpu", "auto"}}));
  EXPECT_EQ(fixed.client, cpus[0]);
  ASSERT_TRUE(fixed.server);
  EXPECT_EQ(*fixed.server == cpus[0], cpus.size() == 1);  // shared only when there is no other CPU
  EXPECT_EQ(fixed.seen["cpu_busy_pct_at_setup"].size(), cpus.size());

  EXPECT_THROW(loopback::place_threads(Options({{"client-cpu", "99999"}, {"server-cpu", "none"}})), InputError);
  EXPECT_THROW(loopback::place_threads(Options({{"client-cpu", "first"}, {"server-cpu", "none"}})), InputError);
}

// Logs the order of its runs into a shared list.
class Tagged : public Benchmark {
 public:
  Tagged(std::string tag, std::vector<std::string>& log) : tag_(std::move(tag)), log_(log) {}
  std::string name() const override { return "tagged"; }
  std::string summary() const override { return "logs its runs"; }
  std::vector<OptionSpec> options() const override { return {}; }
  double estimated_seconds(const Options&) const override { return 0; }
  std::vector<MetricSpec> metrics() const override { return {{"value", "1", false}}; }
  std::optional<std::string> unavailable(const Host&, const Options&) const override { return std::nullopt; }
  RunResult run_once(const Options&) override {
    log_.push_back(tag_);
    RunResult r;
    r.metrics = {{"value", 1.0}};
    return r;
  }

 private:
  std::string tag_;
  std::vector<std::string>& log_;
};

TEST(Runner, PairsAlternateAbBaAndRecordThePosition) {
  std::vector<std::string> log;
  Tagged a("a", log), b("b", log);
  RunConfig cfg;
  cfg.reps = 4;
  cfg.warmup = 2;
  const auto r = run_ab(Host("/"), a, b, Options(), Options(), cfg);
  const std::vector<std::string> expect = {"a", "b", "b", "a",                       // warm-ups
                                           "a", "b", "b", "a", "a", "b", "b", "a"};  // measured
  EXPECT_EQ(log, expect);
  EXPECT_EQ(r.a["env"]["order"], "ABBA alternating");
  std::vector<int> pos_a, pos_b;
  for (const auto& run : r.a["runs"]) pos_a.push_back(run["env"]["position_in_pair"]);
  for (const auto& run : r.b["runs"]) pos_b.push_back(run["env"]["position_in_pair"]);
  EXPECT_EQ(pos_a, (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(pos_b, (std::vector<int>{1, 0, 1, 0}));
  for (const char* k :
       {"run_queue_wait_ms", "run_queue_wait_share", "on_cpu_ms", "other_cpu_busy_pct", "other_busy_on_own_cpus_pct"})
    EXPECT_TRUE(r.a["runs"][0]["env"].contains(k)) << k;

  log.clear();
  const json single = run_bench(Host("/"), a, Options(), cfg);
  EXPECT_FALSE(single["env"].contains("order"));
  EXPECT_FALSE(single["runs"][0]["env"].contains("position_in_pair"));
}

}  // namespace
}  // namespace tunectl::bench
