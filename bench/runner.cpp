#include "bench/runner.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <optional>
#include <sstream>

#include "core/clock.h"
#include "core/errors.h"
#include "core/parse.h"
#include "probes/cgroup_mounts.h"
#include "bench/contention.h"
#include "bench/stats.h"

namespace tunectl::bench {
namespace {

// --- environment -------------------------------------------------------------------------------

struct Throttling {
  int64_t nr_throttled = 0, throttled_usec = 0;
};

// The cpu.stat files that can throttle this process: its own cgroup and every ancestor, in the
// v2 hierarchy or the v1 cpu controller's, found through /proc/self/mountinfo.
std::vector<std::string> own_cpu_stat_files(const Host& host) {
  std::string v2_mount, v1_cpu_mount;
  if (auto mi = host.read("/proc/self/mountinfo"); mi.ok) {
    const auto mounts = parse_cgroup_mounts(mi.data);
    v2_mount = unified_mount(mounts).value_or("");
    // No v2 controller list: the cpu controller's home is then the v1 mount carrying it, if any.
    if (const auto cpu = locate_cgroups(mounts, "").cpu) v1_cpu_mount = cpu->mount;
  }
  std::vector<std::string> files;
  auto add_chain = [&](const std::string& mount, std::string path) {
    if (mount.empty()) return;
    while (true) {
      const std::string file = mount + (path == "/" ? "" : path) + "/cpu.stat";
      if (host.exists(file)) files.push_back(file);
      if (path == "/" || path.empty()) break;
      path = path.substr(0, path.rfind('/'));
      if (path.empty()) path = "/";
    }
  };
  if (auto cg = host.read("/proc/self/cgroup"); cg.ok) {
    std::istringstream in(cg.data);
    for (std::string line; std::getline(in, line);) {
      const auto c1 = line.find(':'), c2 = line.find(':', c1 + 1);
      if (c1 == std::string::npos || c2 == std::string::npos) continue;
      const std::string controllers = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
      if (controllers.empty()) {
        add_chain(v2_mount, path);
      } else {
        std::istringstream cs(controllers);
        for (std::string c; std::getline(cs, c, ',');)
          if (c == "cpu") add_chain(v1_cpu_mount, path);
      }
    }
  }
  return files;
}

std::optional<Throttling> read_throttling(const Host& host, const std::vector<std::string>& files) {
  if (files.empty()) return std::nullopt;
  Throttling t;
  for (const auto& f : files) {
    auto r = host.read(f);
    if (!r.ok) return std::nullopt;
    const auto kv = parse_key_values(r.data).values;
    auto get = [&](const char* k) { return kv.count(k) ? kv.at(k) : 0; };
    t.nr_throttled += get("nr_throttled");
    // v2 reports throttled_usec; v1 throttled_time in ns.
    t.throttled_usec += kv.count("throttled_usec") ? get("throttled_usec") : get("throttled_time") / 1000;
  }
  return t;
}

struct EnvPoint {
  int64_t cpu_total = 0, cpu_steal = 0;  // /proc/stat "cpu" line, USER_HZ ticks
  std::optional<Throttling> throttling;
  int64_t involuntary_switches = 0;
  int64_t mono_ns = 0;
  contention::Point contention;  // this process's threads' run-queue wait, every CPU's busy ticks
};

class EnvSampler {
 public:
  explicit EnvSampler(const Host& host) : host_(host), cpu_stat_files_(own_cpu_stat_files(host_)) {}

  EnvPoint sample() const {
    EnvPoint p;
    if (auto st = host_.read("/proc/stat"); st.ok) {
      const auto f = split_ws(st.data.substr(0, st.data.find('\n')));
      // cpu user nice system idle iowait irq softirq steal [guest guest_nice: already in user]
      for (size_t i = 1; i < f.size() && i <= 8; ++i) {
        const int64_t v = parse_int(f[i]).value_or(0);
        p.cpu_total += v;
        if (i == 8) p.cpu_steal = v;
      }
    }
    p.throttling = read_throttling(host_, cpu_stat_files_);
    p.contention = contention::sample(host_);
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    p.involuntary_switches = ru.ru_nivcsw;
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    p.mono_ns = int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
    return p;
  }

  bool throttling_known() const { return !cpu_stat_files_.empty(); }

 private:
  const Host& host_;
  std::vector<std::string> cpu_stat_files_;
};

double steal_pct(const EnvPoint& a, const EnvPoint& b) {
  const int64_t total = b.cpu_total - a.cpu_total;
  return total > 0 ? 100.0 * (b.cpu_steal - a.cpu_steal) / total : 0.0;
}

json env_delta(const EnvPoint& a, const EnvPoint& b) {
  json j = {{"seconds", (b.mono_ns - a.mono_ns) / 1e9},
            {"steal_pct", steal_pct(a, b)},
            {"involuntary_switches", b.involuntary_switches - a.involuntary_switches}};
  j.update(contention::delta(a.contention, b.contention, ::sysconf(_SC_CLK_TCK)));
  if (a.throttling && b.throttling) {
    j["nr_throttled"] = b.throttling->nr_throttled - a.throttling->nr_throttled;
    j["throttled_usec"] = b.throttling->throttled_usec - a.throttling->throttled_usec;
  } else {
    j["nr_throttled"] = nullptr;
    j["throttled_usec"] = nullptr;
  }
  return j;
}

json static_env(const Host& host, const EnvSampler& sampler) {
  utsname u{};
  ::uname(&u);
  const std::string online = host.read_trimmed("/sys/devices/system/cpu/online").value_or("");
  const auto cpus = parse_cpulist(online);
  json j = {{"kernel", u.release},
            {"hostname", u.nodename},
            {"cpus", cpus.ok() ? cpus.value->size() : 0},
            {"cpus_online", online},
            {"started_at", utc_now_rfc3339()}};
  if (auto la = host.read_trimmed("/proc/loadavg")) j["loadavg_at_start"] = split_ws(*la).at(0);
  if (!sampler.throttling_known()) j["throttling_unavailable"] = "no cpu.stat found for this process's cgroup";
  return j;
}

// --- runs ----------------------------------------------------------------------------------------

struct Side {
  Benchmark& bench;
  const Options& opts;
  std::optional<std::string> unavailable;
  std::vector<RunResult> runs;
  std::vector<json> run_env;
};

// Side indices in the order pair `k` runs them: A B for even k, B A for odd (one side: just it).
std::vector<size_t> pair_order(size_t sides, int k) {
  std::vector<size_t> order;
  for (size_t i = 0; i < sides; ++i) order.push_back(i);
  if (k % 2 == 1) std::reverse(order.begin(), order.end());
  return order;
}

// setup() on construction, teardown() on destruction: teardown runs even when a run throws, and
// when setup itself throws part-way (it may have created something, e.g. a cgroup).
class SetUp {
 public:
  SetUp(Benchmark& b, const Options& o) : b_(b) {
    try {
      b_.setup(o);
    } catch (...) {
      try {
        b_.teardown();
      } catch (...) {  // the setup error is the one to report
      }
      throw;
    }
  }
  SetUp(const SetUp&) = delete;
  SetUp& operator=(const SetUp&) = delete;
  ~SetUp() {
    try {
      b_.teardown();
    } catch (...) {  // a destructor must not throw; the run's own error, if any, wins
    }
  }

 private:
  Benchmark& b_;
};

json build_result(const Side& side, const json& env) {
  const Benchmark& b = side.bench;
  json options = json::object();
  for (const auto& [k, v] : side.opts.values()) options[k] = v;
  json metrics = json::object();
  for (const auto& m : b.metrics()) {
    json runs = json::array();
    std::vector<double> finite;
    for (const auto& r : side.runs) {
      auto it = r.metrics.find(m.name);
      if (it != r.metrics.end() && std::isfinite(it->second)) {
        runs.push_back(it->second);
        finite.push_back(it->second);
      } else {
        runs.push_back(nullptr);  // the run did not produce this metric
      }
    }
    json entry = {{"unit", m.unit}, {"higher_is_better", m.higher_is_better}, {"runs", runs},
                  {"median", nullptr}, {"ci95", nullptr}};
    if (!finite.empty()) {
      const auto ci = stats::bootstrap_median_ci(finite);
      entry["median"] = stats::median(finite);
      entry["ci95"] = {ci.lo, ci.hi};
    }
    metrics[m.name] = entry;
  }
  json runs = json::array();
  for (size_t i = 0; i < side.runs.size(); ++i)
    runs.push_back({{"env", side.run_env[i]}, {"detail", side.runs[i].detail}, {"disturbed", side.runs[i].disturbed}});
  json notes = b.notes();
  return {{"schema", kResultSchema}, {"bench", b.name()}, {"summary", b.summary()}, {"options", options},
          {"env", env},  {"metrics", metrics}, {"runs", runs},
          {"notes", notes.is_null() ? json::object() : notes}, {"unavailable", side.unavailable}};
}

// The sides of one benchmark, set up once, run pair by pair (a pair: every available side once,
// in pair_order) and turned into results at the end. run_sides drives it for `bench` and run_ab;
// PairedRuns lets an audit drive it round by round.
class Session {
 public:
  Session(const Host& host, std::vector<Side>& sides, int reps, int warmup) : sides_(sides), sampler_(host) {
    if (reps < 1 || reps > 10000) throw InputError("--reps must be 1..10000");
    if (warmup < 0 || warmup > 1000) throw InputError("--warmup must be 0..1000");
    env_ = static_env(host, sampler_);
    env_["reps"] = reps;
    env_["warmup"] = warmup;
    env_["interleaved"] = sides.size() > 1;
    if (sides.size() > 1) env_["order"] = "ABBA alternating";
    for (auto& s : sides_) {
      s.unavailable = s.bench.unavailable(host, s.opts);
      if (!s.unavailable) {
        setups_.push_back(std::make_unique<SetUp>(s.bench, s.opts));
        any_available_ = true;
      }
    }
  }

  bool any_available() const { return any_available_; }

  // Pair `k`; `before_run(side)` is called before each run (progress, the audit's state switch).
  void pair(int k, bool measured, const std::function<void(size_t side)>& before_run) {
    if (!any_available_) return;
    if (measured && !measuring_) {
      first_ = sampler_.sample();
      measuring_ = true;
    }
    int position = 0;
    for (size_t i : pair_order(sides_.size(), k)) {
      Side& s = sides_[i];
      if (s.unavailable) continue;
      if (before_run) before_run(i);
      const EnvPoint before = sampler_.sample();
      RunResult r = s.bench.run_once(s.opts);
      const EnvPoint after = sampler_.sample();
      if (!measured) continue;
      json e = env_delta(before, after);
      if (sides_.size() > 1) e["position_in_pair"] = position++;
      auto why = run_disturbance(e);
      if (why) r.disturbed = r.disturbed ? *r.disturbed + "; " + *why : *why;
      s.run_env.push_back(std::move(e));
      s.runs.push_back(std::move(r));
    }
  }

  std::vector<json> finish() {
    const EnvPoint last = measuring_ ? sampler_.sample() : EnvPoint{};
    while (!setups_.empty()) setups_.pop_back();  // teardown now, last set up first
    std::vector<json> results;
    for (auto& s : sides_) {
      json e = env_;
      if (measuring_) {
        const json whole = env_delta(first_, last);
        e["steal_pct"] = whole["steal_pct"];
        e["duration_s"] = whole["seconds"];
        e["throttled"] = {{"nr_throttled", whole["nr_throttled"]}, {"throttled_usec", whole["throttled_usec"]}};
      } else {
        e["steal_pct"] = nullptr;
      }
      json disturbed = json::array();
      for (size_t i = 0; i < s.runs.size(); ++i)
        if (s.runs[i].disturbed) disturbed.push_back({{"run", i}, {"reason", *s.runs[i].disturbed}});
      e["disturbed_runs"] = disturbed;
      results.push_back(build_result(s, e));
    }
    return results;
  }

 private:
  std::vector<Side>& sides_;
  const EnvSampler sampler_;
  json env_;
  std::vector<std::unique_ptr<SetUp>> setups_;
  bool any_available_ = false, measuring_ = false;
  EnvPoint first_{};
};

// Runs every side in turn, warm-ups first, and returns one result per side. An interruption
// throws out of the session, whose destructor tears every side down.
std::vector<json> run_sides(const Host& host, std::vector<Side>& sides, const RunConfig& cfg) {
  Session session(host, sides, cfg.reps, cfg.warmup);
  const std::string name = sides.at(0).bench.name();
  auto stop_requested = [&] { return cfg.interrupted && cfg.interrupted(); };
  auto step = [&](const std::string& label, bool measured, int k) {
    try {
      session.pair(k, measured, [&](size_t i) {
        if (stop_requested()) throw Error(name + " interrupted before " + label, kExitInterrupted);
        if (cfg.progress) cfg.progress(sides[i].bench.name(), label);
      });
    } catch (const Error& e) {
      if (e.exit_code() != kExitInterrupted && stop_requested())
        throw Error(name + " interrupted during " + label + " (" + e.what() + ")", kExitInterrupted);
      throw;
    } catch (const std::exception& e) {
      if (stop_requested()) throw Error(name + " interrupted during " + label + " (" + e.what() + ")", kExitInterrupted);
      throw;
    }
  };
  for (int w = 0; w < cfg.warmup; ++w)
    step("warm-up " + std::to_string(w + 1) + "/" + std::to_string(cfg.warmup), false, w);
  for (int i = 0; i < cfg.reps; ++i) step("run " + std::to_string(i + 1) + "/" + std::to_string(cfg.reps), true, i);
  return session.finish();
}

std::string percent(double share) {
  std::ostringstream s;
  s.precision(share < 0.1 ? 2 : 3);
  s << 100 * share << "%";
  return s.str();
}

}  // namespace

std::optional<std::string> run_disturbance(const json& env) {
  std::vector<std::string> why;
  const double steal = env.value("steal_pct", 0.0);
  if (steal > kDisturbedStealPct) {
    std::ostringstream s;
    s.precision(3);
    s << "hypervisor steal " << steal << "%";
    why.push_back(s.str());
  }
  if (env.value("nr_throttled", json()).is_number() && env["nr_throttled"].get<int64_t>() > 0)
    why.push_back("own cgroup throttled " + std::to_string(env["nr_throttled"].get<int64_t>()) + " times (" +
                  std::to_string(env.value("throttled_usec", int64_t{0})) + " us)");
  const json share = env.value("run_queue_wait_share", json()), own = env.value("other_busy_on_own_cpus_pct", json());
  const bool others_took_their_cpus = !own.is_number() || own.get<double>() > kDisturbedOtherBusyPct;
  if (share.is_number() && share.get<double>() > kDisturbedRunQueueWaitShare && others_took_their_cpus) {
    std::string s = "threads waited " + percent(share.get<double>()) + " of their runnable time on a run queue " +
                    "(threshold " + percent(kDisturbedRunQueueWaitShare) + ")";
    if (own.is_number())
      s += " while other tasks kept their CPUs " + percent(own.get<double>() / 100) + " busy (threshold " +
           percent(kDisturbedOtherBusyPct / 100) + ")";
    if (env.value("involuntary_switches", json()).is_number())
      s += "; " + std::to_string(env["involuntary_switches"].get<int64_t>()) + " involuntary switches";
    const json other = env.value("other_cpu_busy_pct", json());
    if (other.is_number()) s += "; other tasks kept all CPUs " + percent(other.get<double>() / 100) + " busy";
    why.push_back(s);
  }
  if (why.empty()) return std::nullopt;
  std::string s = why[0];
  for (size_t i = 1; i < why.size(); ++i) s += "; " + why[i];
  return s;
}

json run_bench(const Host& host, Benchmark& bench, const Options& opts, const RunConfig& cfg) {
  std::vector<Side> sides{{bench, opts, std::nullopt, {}, {}}};
  return run_sides(host, sides, cfg).at(0);
}

AbResult run_ab(const Host& host, Benchmark& bench_a, Benchmark& bench_b, const Options& opts_a,
                const Options& opts_b, const RunConfig& cfg) {
  if (bench_a.name() != bench_b.name()) throw InputError("run_ab: " + bench_a.name() + " vs " + bench_b.name());
  std::vector<Side> sides{{bench_a, opts_a, std::nullopt, {}, {}}, {bench_b, opts_b, std::nullopt, {}, {}}};
  auto r = run_sides(host, sides, cfg);
  r[0]["env"]["position"] = "A";
  r[1]["env"]["position"] = "B";
  return {std::move(r[0]), std::move(r[1])};
}

AbResult run_ab(const Host& host, const std::string& bench, const Options& opts_a, const Options& opts_b,
                const RunConfig& cfg) {
  auto a = make_bench(bench);
  auto b = make_bench(bench);
  return run_ab(host, *a, *b, opts_a, opts_b, cfg);
}

struct PairedRuns::Impl {
  std::unique_ptr<Benchmark> a, b;
  Options opts_a, opts_b;
  std::vector<Side> sides;
  std::optional<Session> session;
};

PairedRuns::PairedRuns(const Host& host, const std::string& bench, const Options& opts_a, const Options& opts_b,
                       int reps, int warmup)
    : impl_(std::make_unique<Impl>()) {
  impl_->a = make_bench(bench);
  impl_->b = make_bench(bench);
  impl_->opts_a = opts_a;
  impl_->opts_b = opts_b;
  impl_->sides.push_back({*impl_->a, impl_->opts_a, std::nullopt, {}, {}});
  impl_->sides.push_back({*impl_->b, impl_->opts_b, std::nullopt, {}, {}});
  impl_->session.emplace(host, impl_->sides, reps, warmup);
}

PairedRuns::~PairedRuns() = default;

std::optional<std::string> PairedRuns::unavailable() const {
  for (const auto& s : impl_->sides)
    if (s.unavailable) return s.unavailable;
  return std::nullopt;
}

void PairedRuns::pair(int k, bool measured, const std::function<void(int side)>& before_run) {
  if (unavailable()) return;
  impl_->session->pair(k, measured, [&](size_t i) { before_run(static_cast<int>(i)); });
}

AbResult PairedRuns::finish() {
  auto r = impl_->session->finish();
  r[0]["env"]["position"] = "A";
  r[1]["env"]["position"] = "B";
  return {std::move(r[0]), std::move(r[1])};
}

}  // namespace tunectl::bench
