#include "bench/contention.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>

#include "core/parse.h"

namespace tunectl::bench::contention {
namespace {

std::mutex exit_log_mu;
std::deque<ThreadExit> exit_log;  // this process's newest kExitLog records, guarded by exit_log_mu
uint64_t exit_seq = 0;

int64_t rusage_ns(const timeval& tv) { return int64_t(tv.tv_sec) * 1000000000 + int64_t(tv.tv_usec) * 1000; }

// Every thread's value at a point: its exit record when it has one (the newest), else its live sample.
std::map<int, ThreadSample> values(const Threads& t) {
  std::map<int, ThreadSample> v = t.live;
  for (const auto& e : t.exits) v[e.tid] = e.last;
  return v;
}

}  // namespace

ThreadTimes operator+(const ThreadTimes& a, const ThreadTimes& b) {
  return {a.on_cpu_ns + b.on_cpu_ns, a.wait_ns + b.wait_ns};
}
ThreadTimes operator-(const ThreadTimes& a, const ThreadTimes& b) {
  return {a.on_cpu_ns - b.on_cpu_ns, a.wait_ns - b.wait_ns};
}

std::optional<ThreadTimes> parse_schedstat(const std::string& text) {
  const auto f = split_ws(text);
  if (f.size() < 2) return std::nullopt;
  const auto on = parse_int(f[0]), wait = parse_int(f[1]);
  if (!on || !wait || *on < 0 || *wait < 0) return std::nullopt;
  return ThreadTimes{*on, *wait};
}

std::optional<int> parse_stat_cpu(const std::string& text) {
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  const auto f = split_ws(text.substr(paren + 1));
  constexpr size_t kCpuField = 39 - 3;  // the first field after the name is field 3 (state)
  if (f.size() <= kCpuField) return std::nullopt;
  const auto cpu = parse_int(f[kCpuField]);
  if (!cpu || *cpu < 0) return std::nullopt;
  return static_cast<int>(*cpu);
}

ThreadsDelta diff(const Threads& a, const Threads& b) {
  const auto before = values(a);
  ThreadsDelta d;
  for (const auto& [tid, now] : values(b)) {
    auto it = before.find(tid);
    const ThreadTimes x = now.times - (it == before.end() ? ThreadTimes{} : it->second.times);
    const ThreadTimes run{std::max<int64_t>(0, x.on_cpu_ns), std::max<int64_t>(0, x.wait_ns)};
    d.total = d.total + run;
    if (run.on_cpu_ns > 0) d.on_cpu_ns_by_cpu[now.cpu] += run.on_cpu_ns;
  }
  return d;
}

std::optional<Threads> process_threads(const Host& host) {
  Threads t;
  for (const auto& name : host.list("/proc/self/task")) {
    const auto tid = parse_int(name);
    if (!tid) continue;
    const std::string dir = "/proc/self/task/" + name;
    auto r = host.read(dir + "/schedstat");
    if (!r.ok) continue;  // the thread ended after the listing
    const auto times = parse_schedstat(r.data);
    if (!times) continue;
    auto st = host.read(dir + "/stat");
    t.live[static_cast<int>(*tid)] = {*times, st.ok ? parse_stat_cpu(st.data).value_or(-1) : -1};
  }
  if (t.live.empty()) return std::nullopt;
  // The log is copied after the listing: a thread that recorded meanwhile has its record here
  // (and the record wins over its live sample), one that recorded and vanished is not lost.
  std::lock_guard<std::mutex> lock(exit_log_mu);
  t.exits.assign(exit_log.begin(), exit_log.end());
  t.exit_seq = exit_seq;
  return t;
}

void record_thread_exit() {
  // Always this live process's own thread, whatever Host the runner reads the environment
  // through: the exiting thread has no Host of its own, and a captured tree has no such file.
  static const Host live("/");
  auto r = live.read("/proc/thread-self/schedstat");
  if (!r.ok) return;
  const auto times = parse_schedstat(r.data);
  if (!times) return;
  const int cpu = ::sched_getcpu();
  std::lock_guard<std::mutex> lock(exit_log_mu);
  exit_log.push_back({++exit_seq, static_cast<int>(::gettid()), {*times, cpu}});
  if (exit_log.size() > kExitLog) exit_log.pop_front();
}

std::map<int, CpuTicks> parse_cpu_lines(const std::string& proc_stat) {
  std::map<int, CpuTicks> out;
  size_t pos = 0;
  while (pos < proc_stat.size()) {
    size_t end = proc_stat.find('\n', pos);
    if (end == std::string::npos) end = proc_stat.size();
    const std::string line = proc_stat.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] < '0' || line[3] > '9') continue;
    const auto f = split_ws(line);
    const auto cpu = parse_int(f[0].substr(3));
    if (!cpu || f.size() < 9) continue;
    // user nice system idle iowait irq softirq steal [guest guest_nice: already in user, nice]
    CpuTicks t;
    for (size_t i = 1; i <= 8; ++i) {
      const int64_t v = parse_int(f[i]).value_or(0);
      t.total += v;
      if (i == 8) t.steal = v;
      if (i != 4 && i != 5 && i != 8) t.busy += v;
    }
    out[static_cast<int>(*cpu)] = t;
  }
  return out;
}

std::map<int, CpuTicks> read_cpu_ticks(const Host& host) {
  auto r = host.read("/proc/stat");
  return r.ok ? parse_cpu_lines(r.data) : std::map<int, CpuTicks>{};
}

Point sample(const Host& host) {
  Point p;
  p.threads = process_threads(host);
  p.cpus = read_cpu_ticks(host);
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  p.own_cpu_ns = rusage_ns(ru.ru_utime) + rusage_ns(ru.ru_stime);
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  p.mono_ns = int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  return p;
}

json delta(const Point& a, const Point& b, int64_t ticks_per_s) {
  json j = {{"run_queue_wait_ms", nullptr},  {"on_cpu_ms", nullptr}, {"run_queue_wait_share", nullptr},
            {"other_cpu_busy_pct", nullptr}, {"other_busy_on_own_cpus_pct", nullptr}};
  const double seconds = (b.mono_ns - a.mono_ns) / 1e9;
  if (seconds <= 0 || ticks_per_s <= 0) return j;
  // Busy seconds of a CPU over the run, when it was online at both ends.
  auto busy_s = [&](int cpu) -> std::optional<double> {
    auto ta = a.cpus.find(cpu), tb = b.cpus.find(cpu);
    if (ta == a.cpus.end() || tb == b.cpus.end()) return std::nullopt;
    return static_cast<double>(tb->second.busy - ta->second.busy) / ticks_per_s;
  };
  if (a.threads && b.threads) {
    const ThreadsDelta d = diff(*a.threads, *b.threads);
    const int64_t wait = d.total.wait_ns, on = d.total.on_cpu_ns;
    j["run_queue_wait_ms"] = wait / 1e6;
    j["on_cpu_ms"] = on / 1e6;
    if (wait + on > 0) j["run_queue_wait_share"] = static_cast<double>(wait) / static_cast<double>(wait + on);
    double weighted = 0, weight = 0;
    for (const auto& [cpu, ns] : d.on_cpu_ns_by_cpu) {
      const auto busy = busy_s(cpu);
      if (!busy) continue;
      weighted += ns * std::clamp((*busy - ns / 1e9) / seconds, 0.0, 1.0);
      weight += ns;
    }
    if (weight > 0) j["other_busy_on_own_cpus_pct"] = 100 * weighted / weight;
  }
  double all_busy = 0;
  int64_t cpus = 0;
  for (const auto& [cpu, t] : b.cpus)
    if (const auto busy = busy_s(cpu)) {
      all_busy += *busy;
      ++cpus;
    }
  if (cpus > 0) {
    const double other_s = all_busy - (b.own_cpu_ns - a.own_cpu_ns) / 1e9;
    j["other_cpu_busy_pct"] = std::clamp(100.0 * other_s / (seconds * cpus), 0.0, 100.0);
  }
  return j;
}

std::map<int, double> busy_pct_between(const std::map<int, CpuTicks>& a, const std::map<int, CpuTicks>& b) {
  std::map<int, double> out;
  for (const auto& [cpu, t] : b) {
    auto before = a.find(cpu);
    if (before == a.end()) continue;
    const int64_t total = t.total - before->second.total;
    const int64_t busy = (t.busy + t.steal) - (before->second.busy + before->second.steal);
    out[cpu] = total > 0 ? std::clamp(100.0 * busy / total, 0.0, 100.0) : 0.0;
  }
  return out;
}

std::map<int, double> cpu_busy_pct(const Host& host, int window_ms) {
  const auto a = read_cpu_ticks(host);
  std::this_thread::sleep_for(std::chrono::milliseconds(window_ms));
  return busy_pct_between(a, read_cpu_ticks(host));
}

std::vector<int> least_busy(const std::vector<int>& allowed, const std::map<int, double>& busy,
                            const std::set<int>& taken, size_t n, double tie_pct) {
  auto load = [&](int cpu) {
    auto it = busy.find(cpu);
    return it == busy.end() ? 100.0 : it->second;
  };
  std::vector<int> out, pool;
  for (int c : allowed)
    if (!taken.count(c)) pool.push_back(c);
  std::sort(pool.begin(), pool.end());
  while (out.size() < n && !allowed.empty()) {
    if (pool.empty()) {  // fewer free CPUs than threads: share, again least busy first
      pool = allowed;
      std::sort(pool.begin(), pool.end());
    }
    double lowest = load(pool.front());
    for (int c : pool) lowest = std::min(lowest, load(c));
    // pool is ascending: the first CPU within the tie band is the lowest-numbered of the tied.
    auto pick = std::find_if(pool.begin(), pool.end(), [&](int c) { return load(c) <= lowest + tie_pct; });
    out.push_back(*pick);
    pool.erase(pick);
  }
  return out;
}

}  // namespace tunectl::bench::contention
