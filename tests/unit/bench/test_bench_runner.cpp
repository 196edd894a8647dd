// The runner, option resolution and result files, with a scripted fake benchmark:
// no timing, only bookkeeping (warm-ups discarded, A B / B A order, teardown on error, schema).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "bench/bench.h"
#include "bench/calibration.h"
#include "bench/result_file.h"
#include "bench/runner.h"

namespace tunectl::bench {
namespace {

// Reports metric "value" = --base + the number of runs it has done, and logs every call.
class Fake : public Benchmark {
 public:
  Fake(std::string tag, std::vector<std::string>& log) : tag_(std::move(tag)), log_(log) {}
  std::string name() const override { return "fake"; }
  std::string summary() const override { return "scripted"; }
  std::vector<OptionSpec> options() const override {
    return {{"base", "100", "value of the first run"}, {"step", "1", "added per run"}, {"fail-at", "-1", "throw on run N"},
            {"disturb", "0", "flag every run as disturbed", true}};
  }
  double estimated_seconds(const Options&) const override { return 0.01; }
  std::vector<MetricSpec> metrics() const override { return {{"value", "ms", false}, {"rate", "1/s", true}}; }
  std::optional<std::string> unavailable(const Host&, const Options& o) const override {
    if (o.number("base") < 0) return std::string("negative base");
    return std::nullopt;
  }
  void setup(const Options&) override { log_.push_back("setup " + tag_); }
  void teardown() override { log_.push_back("teardown " + tag_); }
  RunResult run_once(const Options& o) override {
    log_.push_back("run " + tag_);
    if (runs_ == o.integer("fail-at")) throw Error("scripted failure");
    RunResult r;
    const double v = o.number("base") + o.number("step") * runs_++;
    r.metrics = {{"value", v}, {"rate", 1000 / v}};
    if (o.flag("disturb")) r.disturbed = "scripted disturbance";
    return r;
  }

 private:
  std::string tag_;
  std::vector<std::string>& log_;
  int runs_ = 0;
};

const Host& live() {
  static const Host host("/");
  return host;
}

RunConfig cfg(int reps, int warmup) {
  RunConfig c;
  c.reps = reps;
  c.warmup = warmup;
  return c;
}

TEST(Options, ResolveAppliesDefaultsMapsUnderscoresAndRejectsUnknown) {
  std::vector<std::string> log;
  Fake f("a", log);
  const auto o = resolve_options(f, {{"fail_at", "3"}});
  EXPECT_EQ(o.integer("fail-at"), 3);
  EXPECT_EQ(o.number("base"), 100);
  try {
    resolve_options(f, {{"bogus", "1"}});
    FAIL() << "unknown option accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--bogus"), std::string::npos);
  }
}

TEST(Options, TypedGettersNameTheOption) {
  const Options o({{"n", "12x"}, {"f", "maybe"}, {"x", "2.5"}, {"t", "On"}});
  EXPECT_THROW(o.integer("n"), InputError);
  EXPECT_THROW(o.flag("f"), InputError);
  EXPECT_THROW(o.str("missing"), InputError);
  EXPECT_DOUBLE_EQ(o.number("x"), 2.5);
  EXPECT_TRUE(o.flag("t"));
  try {
    o.integer("n");
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--n"), std::string::npos);
  }
}

TEST(Registry, MakeBenchListsKnownNamesOnError) {
  try {
    make_bench("no_such_bench");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tcp_rr"), std::string::npos);
  }
  for (const auto& n : {"tcp_rr", "tcp_crr", "tcp_stream"}) EXPECT_EQ(make_bench(n)->name(), n);
}

TEST(Runner, WarmupsAreDiscardedAndResultFollowsTheSchema) {
  std::vector<std::string> log;
  Fake f("a", log);
  const json r = run_bench(live(), f, resolve_options(f, {}), cfg(4, 2));
  EXPECT_EQ(r["schema"], "tunectl.bench/1");
  EXPECT_EQ(r["bench"], "fake");
  EXPECT_TRUE(r["unavailable"].is_null());
  EXPECT_EQ(r["options"]["base"], "100");
  // Runs 0 and 1 were warm-ups: the measured ones are 102..105.
  EXPECT_EQ(r["metrics"]["value"]["runs"], json({102.0, 103.0, 104.0, 105.0}));
  EXPECT_DOUBLE_EQ(r["metrics"]["value"]["median"].get<double>(), 103.5);
  EXPECT_EQ(r["metrics"]["value"]["unit"], "ms");
  const auto ci = r["metrics"]["value"]["ci95"];
  EXPECT_LE(ci[0].get<double>(), 103.5);
  EXPECT_GE(ci[1].get<double>(), 103.5);
  for (const char* k : {"kernel", "cpus", "steal_pct", "disturbed_runs"}) EXPECT_TRUE(r["env"].contains(k)) << k;
  EXPECT_EQ(r["runs"].size(), 4u);
  EXPECT_EQ(log.front(), "setup a");
  EXPECT_EQ(log.back(), "teardown a");
  EXPECT_EQ(log.size(), 2u + 6u);
}

TEST(Runner, AbRunsAreInterleaved) {
  std::vector<std::string> log;
  Fake a("a", log), b("b", log);
  const auto r = run_ab(live(), a, b, resolve_options(a, {}), resolve_options(b, {{"base", "200"}}), cfg(3, 1));
  const std::vector<std::string> expect = {"setup a", "setup b", "run a", "run b", "run a", "run b", "run b",
                                           "run a", "run a", "run b", "teardown b", "teardown a"};  // A B / B A
  EXPECT_EQ(log, expect);
  EXPECT_EQ(r.a["metrics"]["value"]["runs"], json({101.0, 102.0, 103.0}));
  EXPECT_EQ(r.b["metrics"]["value"]["runs"], json({201.0, 202.0, 203.0}));
  EXPECT_EQ(r.a["env"]["position"], "A");
  EXPECT_TRUE(r.b["env"]["interleaved"].get<bool>());
}

TEST(Runner, TeardownRunsWhenARunFails) {
  std::vector<std::string> log;
  Fake f("a", log);
  EXPECT_THROW(run_bench(live(), f, resolve_options(f, {{"fail-at", "2"}}), cfg(5, 0)), Error);
  EXPECT_EQ(log.back(), "teardown a");
}

TEST(Runner, UnavailableGivesReasonAndNoRuns) {
  std::vector<std::string> log;
  Fake f("a", log);
  const json r = run_bench(live(), f, resolve_options(f, {{"base", "-1"}}), cfg(3, 1));
  EXPECT_EQ(r["unavailable"], "negative base");
  EXPECT_TRUE(r["metrics"]["value"]["runs"].empty());
  EXPECT_TRUE(r["metrics"]["value"]["median"].is_null());
  EXPECT_TRUE(log.empty());
}

TEST(Runner, DisturbedRunsAreListed) {
  std::vector<std::string> log;
  Fake f("a", log);
  const json r = run_bench(live(), f, resolve_options(f, {{"disturb", "1"}}), cfg(2, 0));
  ASSERT_EQ(r["env"]["disturbed_runs"].size(), 2u);
  EXPECT_NE(r["env"]["disturbed_runs"][0]["reason"].get<std::string>().find("scripted"), std::string::npos);
}

// Everything the runner reads about the machine comes through the Host it is given: here a tree
// whose cgroup2 mount point has a space, which mountinfo shows octal-escaped ("\040").
TEST(Runner, EnvironmentIsReadThroughTheGivenHost) {
  test::TempTree t;
  t.write("proc/stat", "cpu  100 0 50 1000 0 0 0 0 0 0\ncpu0 100 0 50 1000 0 0 0 0 0 0\n");
  t.write("proc/loadavg", "0.50 0.40 0.30 1/100 4242\n");
  t.write("sys/devices/system/cpu/online", "0-2\n");
  t.write("proc/self/mountinfo",
          "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
          "30 23 0:26 / /sys/fs/cgroup\\040v2 rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n");
  t.write("proc/self/cgroup", "0::/svc.slice/job\n");
  for (const char* dir : {"", "/svc.slice", "/svc.slice/job"})
    t.write(std::string("sys/fs/cgroup v2") + dir + "/cpu.stat", "usage_usec 10\nnr_throttled 3\nthrottled_usec 70\n");

  std::vector<std::string> log;
  Fake f("a", log);
  const json r = run_bench(Host(t.path()), f, resolve_options(f, {}), cfg(2, 0));
  EXPECT_EQ(r["env"]["cpus"], 3);
  EXPECT_EQ(r["env"]["cpus_online"], "0-2");
  EXPECT_EQ(r["env"]["loadavg_at_start"], "0.50");
  EXPECT_FALSE(r["env"].contains("throttling_unavailable")) << r["env"].dump();
  EXPECT_EQ(r["env"]["steal_pct"], 0.0);
  ASSERT_EQ(r["runs"].size(), 2u);
  EXPECT_EQ(r["runs"][0]["env"]["nr_throttled"], 0);  // found and read (null when no cpu.stat is)
  EXPECT_EQ(r["runs"][0]["env"]["throttled_usec"], 0);
}

TEST(ResultFile, LoadsJsonAndNamesThePathOnEveryFailure) {
  test::TempTree t;
  t.write("r.json", R"({"schema": "tunectl.bench/1", "bench": "fake"})");
  EXPECT_EQ(load_result_file(t.path() + "/r.json")["bench"], "fake");
  t.write("bad.json", "{not json");
  const auto message = [](const std::string& path) -> std::string {
    try {
      load_result_file(path);
    } catch (const InputError& e) {
      return e.what();
    }
    return "(loaded)";
  };
  EXPECT_EQ(message(t.path() + "/bad.json").rfind(t.path() + "/bad.json: ", 0), 0u);
  EXPECT_EQ(message(t.path() + "/none.json"), t.path() + "/none.json: " + std::strerror(ENOENT));
  EXPECT_EQ(message("/dev/zero"), "/dev/zero: not a regular file (character device)");
  EXPECT_EQ(message(t.path()), t.path() + ": not a regular file (directory)");
  t.write("huge.json", "");
  std::filesystem::resize_file(t.path() + "/huge.json", kMaxResultFileBytes + 1);
  EXPECT_EQ(message(t.path() + "/huge.json"), t.path() + "/huge.json: larger than 64 MiB");
}

TEST(ResultFile, AFifoIsRefusedAtOnce) {
  test::TempTree t;
  const std::string fifo = t.path() + "/r.json";
  t.fifo("r.json");
  std::string what;
  ASSERT_TRUE(test::returns_promptly(
      [&] {
        try {
          load_result_file(fifo);
        } catch (const InputError& e) {
          what = e.what();
        }
      },
      fifo));
  EXPECT_EQ(what, fifo + ": not a regular file (FIFO)");
  // The calibration file is read the same way: a FIFO there is an error, not "uncalibrated".
  ASSERT_TRUE(test::returns_promptly([&] { EXPECT_THROW(NoiseTable::load(fifo), InputError); }, fifo));
}

}  // namespace
}  // namespace tunectl::bench
