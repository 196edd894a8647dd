// cpu_quota: does the CFS bandwidth controller give what cpu.max promises? A busy loop runs in a
// temporary cgroup with the given quota/period (and burst); the achieved CPU share is measured
// by the busy process itself (CLOCK_PROCESS_CPUTIME_ID over wall time) next to quota/period and
// the cgroup's own throttling counters. The cgroup is made and limited through the knob layer
// (cgroup:/tunectl-bench-<pid>:cpu.max), which writes cpu.max on cgroup v2 and cfs_quota_us /
// cfs_period_us where the cpu controller is on v1 (hybrid hosts). The cgroup is always removed,
// also when setup or a run throws or the runner stops on SIGINT/SIGTERM (RunConfig::interrupted),
// and stale ones from a killed (SIGKILL) run are removed on the next start.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

#include "probes/cgroup.h"
#include "core/errors.h"
#include "core/parse.h"
#include "core/unique_fd.h"
#include "bench/bench.h"
#include "tuner/knobs/knob.h"

namespace tunectl::bench {
namespace {

constexpr const char* kPrefix = "tunectl-bench-";

double now_s(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Child: wait for the parent to move it into the cgroup, spin `threads` threads for `seconds`,
// report cpu and wall seconds over the pipe.
[[noreturn]] void busy_child(pid_t parent, int go_fd, int out_fd, int threads, double seconds) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  char go = 0;
  if (::getppid() != parent || ::read(go_fd, &go, 1) != 1) ::_exit(3);  // parent gone or gave up
  const double wall0 = now_s(CLOCK_MONOTONIC), cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
  std::atomic<bool> stop{false};
  std::vector<std::thread> spinners;
  for (int i = 1; i < threads; ++i)
    spinners.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
      }
    });
  while (now_s(CLOCK_MONOTONIC) - wall0 < seconds) {
  }
  stop = true;
  for (auto& t : spinners) t.join();
  double out[2] = {now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0, now_s(CLOCK_MONOTONIC) - wall0};
  ssize_t n = ::write(out_fd, out, sizeof out);
  ::_exit(n == static_cast<ssize_t>(sizeof out) ? 0 : 1);
}

// A forked child that is killed and reaped on every path out of the run, so the cgroup it sits
// in is always empty (removable) by teardown.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait();
  }
  pid_t pid() const { return pid_; }
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

class Pipe {
 public:
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
    read_.reset(fds[0]);
    write_.reset(fds[1]);
  }
  int read_end() const { return read_.get(); }
  int write_end() const { return write_.get(); }
  void close_read() { read_.reset(); }
  void close_write() { write_.reset(); }

 private:
  UniqueFd read_, write_;
};

class CpuQuota : public Benchmark {
 public:
  std::string name() const override { return "cpu_quota"; }
  std::string summary() const override {
    return "achieved CPU share of a busy loop under cpu.max (v2) or cfs_quota_us (v1), with throttling counters";
  }
  std::vector<OptionSpec> options() const override {
    return {{"quota", "30000", "quota in usec per period (cpu.max's first field; 1000..period x 1024)"},
            {"period", "100000", "period in usec (1000..1000000)"},
            {"burst", "0", "burst in usec (cpu.max.burst / cpu.cfs_burst_us; 0: none; at most quota)"},
            {"threads", "1", "busy threads in the cgroup (1..64)"},
            {"duration-ms", "2000", "busy time per run (200..60000)"},
            {"boost", "1", "give the cgroup the highest CPU weight, so the quota and not other load limits it (1/0)"}};
  }
  double estimated_seconds(const Options& opts) const override {
    return opts.number("duration-ms") / 1000 + 0.05;
  }
  std::vector<MetricSpec> metrics() const override {
    return {{"cpu_share", "cpus", true},
            {"share_error", "cpus", false},
            {"nr_periods", "periods", false},
            {"nr_throttled", "periods", false},
            {"throttled_ms", "ms", false}};
  }
  std::optional<std::string> unavailable(const Host& host, const Options& o) const override {
    check_options(o);
    if (!host.is_live()) return "runs on the live host only";
    if (::geteuid() != 0) return "needs root to create a temporary cgroup";
    ProbeErrors errs;
    Cgroups cg = probe_cgroups(host, errs, 0);
    if (!cg.cpu_controller || !cg.cpu_mount) return "no cgroup cpu controller is mounted";
    return std::nullopt;
  }

  void setup(const Options& o) override {
    ProbeErrors errs;
    Cgroups cg = probe_cgroups(host_, errs, 0);
    version_ = cg.cpu_controller.value_or("");
    remove_stale(cg.cpu_mount.value_or(""));
    path_ = "/" + std::string(kPrefix) + std::to_string(::getpid());
    WriteOutcome made = make_knob("cgroup_dir:" + path_)->write(host_, "present");
    if (!made.ok()) throw Error(made.message);
    dir_ = cg.cpu_mount.value_or("") + path_;  // ours by name even if a dead run with our pid left it
    // The runner calls teardown only after a successful setup: undo the directory here.
    try {
      set_limit("cpu.max", std::to_string(o.integer("quota")) + " " + std::to_string(o.integer("period")));
      if (o.integer("burst") > 0) set_limit("cpu.max.burst", std::to_string(o.integer("burst")));
      if (o.flag("boost")) {
        if (version_ == "v1")
          set_limit("cpu.shares", "262144");  // cpu.weight has no exact v1 equivalent
        else
          set_limit("cpu.weight", "10000");
      }
    } catch (...) {
      teardown();
      throw;
    }
  }

  void teardown() override {
    if (dir_.empty()) return;
    make_knob("cgroup_dir:" + path_)->write(host_, "absent");  // empty: every child has been reaped
    dir_.clear();
  }

  RunResult run_once(const Options& o) override {
    const auto before = cpu_stat();
    Pipe go, out;
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw Error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      go.close_write();  // so the child sees EOF, not a hang, if the parent gives up
      out.close_read();
      busy_child(parent, go.read_end(), out.write_end(), static_cast<int>(o.integer("threads")),
                 static_cast<double>(o.integer("duration-ms")) / 1000.0);
    }
    Child child(pid);
    go.close_read();
    out.close_write();
    // The parent moves the child (cgroup.procs is membership, not a limit, so it is no knob).
    const std::string procs = dir_ + "/cgroup.procs";
    if (int err = host_.write(procs, std::to_string(pid)))
      throw Error("cpu_quota: cannot move the busy child into " + procs + ": " + std::strerror(err));
    if (::write(go.write_end(), "g", 1) != 1) throw Error(std::string("cpu_quota: pipe: ") + std::strerror(errno));
    double got[2] = {0, 0};
    ssize_t n = 0;
    while ((n = ::read(out.read_end(), got, sizeof got)) < 0 && errno == EINTR) {
    }
    const int status = child.wait();
    if (n != static_cast<ssize_t>(sizeof got) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw Error("cpu_quota: the busy child failed (status " + std::to_string(status) + ")");
    const auto after = cpu_stat();
    RunResult r;
    const double quota_share = static_cast<double>(o.integer("quota")) / static_cast<double>(o.integer("period"));
    const double limit = std::min(quota_share, static_cast<double>(o.integer("threads")));
    const double share = got[0] / got[1];
    r.metrics["cpu_share"] = share;
    r.metrics["share_error"] = std::abs(share - limit);  // how far from what the quota promises
    auto delta = [](const std::optional<int64_t>& a, const std::optional<int64_t>& b) {
      return a && b ? static_cast<double>(*b - *a) : std::numeric_limits<double>::quiet_NaN();  // NaN: no counter
    };
    r.metrics["nr_periods"] = delta(before.nr_periods, after.nr_periods);
    r.metrics["nr_throttled"] = delta(before.nr_throttled, after.nr_throttled);
    r.metrics["throttled_ms"] = delta(before.throttled_usec, after.throttled_usec) / 1000.0;
    // A binding quota throttles (nearly) every period; a share short of it without that means
    // other load took the CPU, and the run measured contention rather than the quota.
    if (quota_share < static_cast<double>(o.integer("threads")) && share < 0.95 * limit &&
        r.metrics["nr_throttled"] < 0.8 * r.metrics["nr_periods"])
      r.disturbed = "the busy loop got less CPU than its quota without being throttled in most periods: "
                    "other load competed for the CPU";
    r.detail["quota_share"] = quota_share;  // configured (quota / period), not measured: never a metric
    r.detail["cgroup"] = dir_;
    r.detail["cgroup_version"] = version_;
    r.detail["cpu_seconds"] = got[0];
    r.detail["wall_seconds"] = got[1];
    return r;
  }

 private:
  // Bad option values are usage errors (InputError), not reasons the host cannot run this.
  static void check_options(const Options& o) {
    const int64_t period = o.integer_in("period", 1000, 1000000);
    const int64_t quota = o.integer_in("quota", 1000, period * 1024);
    o.integer_in("burst", 0, quota);
    o.integer_in("threads", 1, 64);
    o.integer_in("duration-ms", 200, 60000);
    o.flag("boost");
  }

  std::string address(const std::string& file) const { return "cgroup:" + path_ + ":" + file; }

  void set_limit(const std::string& file, const std::string& value) {
    auto knob = make_knob(address(file));
    if (auto why = knob->validate_for(host_, value)) throw InputError(knob->address() + ": " + *why);
    WriteOutcome w = knob->write(host_, value);
    if (!w.ok()) throw Error(w.message);
  }

  // This cgroup's throttling counters (v1 reports throttled_time in ns, v2 throttled_usec).
  CpuStat cpu_stat() const {
    CpuStat s;
    auto text = host_.read(dir_ + "/cpu.stat");
    if (!text.ok) return s;
    const auto kv = parse_key_values(text.data).values;
    auto get = [&](const char* k) -> std::optional<int64_t> {
      auto it = kv.find(k);
      return it == kv.end() ? std::nullopt : std::optional<int64_t>(it->second);
    };
    s.nr_periods = get("nr_periods");
    s.nr_throttled = get("nr_throttled");
    s.throttled_usec = get("throttled_usec");
    if (!s.throttled_usec)
      if (auto ns = get("throttled_time")) s.throttled_usec = *ns / 1000;
    return s;
  }

  // A run killed before teardown leaves its cgroup; remove those whose owner is gone.
  void remove_stale(const std::string& mount) const {
    if (mount.empty()) return;
    for (const auto& name : host_.list(mount)) {
      if (name.rfind(kPrefix, 0) != 0) continue;
      auto pid = parse_int(name.substr(std::strlen(kPrefix)));
      if (pid && ::kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH)
        make_knob("cgroup_dir:/" + name)->write(host_, "absent");
    }
  }

  Host host_{"/"};
  std::string version_, path_, dir_;
};

}  // namespace

BenchKind bench_cpu_quota() { return {"cpu_quota", [] { return std::make_unique<CpuQuota>(); }}; }

}  // namespace tunectl::bench
