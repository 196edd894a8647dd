#include "probes/cgroup.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "probes/cgroup_mounts.h"
#include "probes/cgroup_tree.h"
#include "core/errors.h"
#include "core/read_field.h"

namespace tunectl {
namespace {

// The CPU bandwidth a group may use: quota/period in CPUs, nullopt for "max".
struct Bandwidth {
  std::optional<std::string> text;  // "max 100000" / "50000 100000"
  std::optional<double> cpus;
};

// quota < 0 is "max" (v1 writes -1).
Bandwidth bandwidth(int64_t quota, int64_t period) {
  Bandwidth b;
  if (quota < 0) {
    b.text = "max " + std::to_string(period);
  } else {
    b.text = std::to_string(quota) + " " + std::to_string(period);
    b.cpus = static_cast<double>(quota) / static_cast<double>(period);
  }
  return b;
}

Bandwidth read_cpu_max_v2(const Host& host, const std::string& file, ProbeErrors& errors) {
  // Absent on the root and where the parent does not delegate the cpu controller.
  auto text = read_field(host, file, errors, Presence::kOptional);
  if (!text) return {};
  const auto t = split_ws(*text);
  int64_t quota = -1, period = 0;
  bool ok = t.size() == 2;
  if (ok && t[0] != "max") {
    auto q = parse_int(t[0]);
    ok = q && *q > 0;
    quota = q.value_or(-1);
  }
  if (ok) {
    auto p = parse_int(t[1]);
    ok = p && *p > 0;
    period = p.value_or(0);
  }
  if (!ok) {
    errors.push_back(file + ": expected '<quota|max> <period>', got '" + text->substr(0, 64) + "'");
    return {};
  }
  return bandwidth(quota, period);
}

Bandwidth read_cpu_max_v1(const Host& host, const std::string& dir, ProbeErrors& errors) {
  // Both files exist only with CONFIG_CFS_BANDWIDTH; -1 is v1's "max".
  auto quota = read_int_field(host, dir + "/cpu.cfs_quota_us", errors, Presence::kOptional);
  auto period = read_int_field(host, dir + "/cpu.cfs_period_us", errors, Presence::kOptional);
  if (!quota || !period) return {};
  if (*period <= 0) {
    errors.push_back(dir + "/cpu.cfs_period_us: period must be positive, got " + std::to_string(*period));
    return {};
  }
  return bandwidth(*quota, *period);
}

// cpu.stat throttling; v1 reports throttled_time in ns.
std::optional<CpuStat> read_cpu_stat(const Host& host, const std::string& file, bool v1, ProbeErrors& errors) {
  auto text = read_field(host, file, errors, v1 ? Presence::kRequired : Presence::kOptional);
  if (!text) return std::nullopt;
  auto kv = parse_key_values(*text);
  if (!kv.bad.empty()) errors.push_back(file + ": unparsable line '" + kv.bad.front().substr(0, 64) + "'");
  auto get = [&](const char* key) -> std::optional<int64_t> {
    auto it = kv.values.find(key);
    if (it == kv.values.end()) return std::nullopt;
    return it->second;
  };
  CpuStat s;
  s.nr_periods = get("nr_periods");
  s.nr_throttled = get("nr_throttled");
  if (v1) {
    if (auto ns = get("throttled_time")) s.throttled_usec = *ns / 1000;
  } else {
    s.throttled_usec = get("throttled_usec");
  }
  // A v2 group without the cpu controller has usage counters only: nothing about throttling.
  if (!s.nr_periods && !s.nr_throttled && !s.throttled_usec) return std::nullopt;
  return s;
}

// The conversion the kernel and systemd use between v1 shares [2, 262144] and v2 weight [1, 10000].
int64_t weight_from_shares(int64_t shares) {
  shares = std::clamp<int64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

Bandwidth read_cpu(const Host& host, const ControllerHome& home, const std::string& path, CgroupInfo& g,
                   ProbeErrors& errors) {
  const std::string dir = home.mount + (path == "/" ? "" : path);
  if (home.version == "v2") {
    g.cpu_max_burst = read_int_field(host, dir + "/cpu.max.burst", errors, Presence::kOptional);
    g.cpu_weight = read_int_field(host, dir + "/cpu.weight", errors, Presence::kOptional);
    g.stat = read_cpu_stat(host, dir + "/cpu.stat", false, errors);
    Bandwidth b = read_cpu_max_v2(host, dir + "/cpu.max", errors);
    g.cpu_max = b.text;
    return b;
  }
  g.cpu_max_burst = read_int_field(host, dir + "/cpu.cfs_burst_us", errors, Presence::kOptional);  // 5.14+
  g.cpu_shares = read_int_field(host, dir + "/cpu.shares", errors);
  if (g.cpu_shares) g.cpu_weight = weight_from_shares(*g.cpu_shares);
  g.stat = read_cpu_stat(host, dir + "/cpu.stat", true, errors);
  Bandwidth b = read_cpu_max_v1(host, dir, errors);
  g.cpu_max = b.text;
  return b;
}

// Returns the number of CPUs in the effective cpuset, when known.
std::optional<int> read_cpuset(const Host& host, const ControllerHome& home, const std::string& path,
                               CgroupInfo& g, ProbeErrors& errors) {
  const std::string dir = home.mount + (path == "/" ? "" : path);
  const bool v2 = home.version == "v2";
  // v2: absent where cpuset is not delegated (and cpuset.cpus on the root); v1: always there.
  const Presence cpus_presence = v2 ? Presence::kOptional : Presence::kRequired;
  auto cpus = read_cpulist_field(host, dir + "/cpuset.cpus", errors, cpus_presence);
  auto effective = read_cpulist_field(
      host, dir + (v2 ? "/cpuset.cpus.effective" : "/cpuset.effective_cpus"), errors, Presence::kOptional);
  if (cpus) g.cpuset_cpus = format_cpulist(*cpus);
  if (effective) g.cpuset_cpus_effective = format_cpulist(*effective);
  // An empty v2 cpuset.cpus means "inherit the parent's", so only a non-empty one limits.
  if (effective && !effective->empty()) return static_cast<int>(effective->size());
  if (cpus && !cpus->empty()) return static_cast<int>(cpus->size());
  return std::nullopt;
}

// What limits a group, itself or through an ancestor: the tightest quota and cpuset.
struct Limits {
  std::optional<double> quota_cpus;
  std::optional<int> cpuset_cpus;
};

template <class T>
std::optional<T> tighter(std::optional<T> a, std::optional<T> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace

Cgroups probe_cgroups(const Host& host, ProbeErrors& errors, int depth) {
  ReadResult mountinfo = host.read("/proc/self/mountinfo");
  if (!mountinfo.ok) throw Error(mountinfo.error);
  const auto mounts = parse_cgroup_mounts(mountinfo.data);
  if (mounts.empty()) throw Error("/proc/self/mountinfo: no cgroup or cgroup2 mount");

  const auto unified = unified_mount(mounts);
  const std::string v2_controllers =
      unified ? read_field(host, *unified + "/cgroup.controllers", errors, Presence::kOptional).value_or("")
              : "";
  const CgroupLayout layout = locate_cgroups(mounts, v2_controllers);

  Cgroups c;
  c.mode = layout.mode;
  c.unified_mount = layout.unified_mount;
  if (layout.cpu) {
    c.cpu_controller = layout.cpu->version;
    c.cpu_mount = layout.cpu->mount;
  }
  if (layout.cpuset) {
    c.cpuset_controller = layout.cpuset->version;
    c.cpuset_mount = layout.cpuset->mount;
  }

  // v1 controllers are separate trees; tools create the same paths in each, so groups are joined
  // by path. Parents precede children in this order, which the inheritance below relies on.
  std::vector<std::string> paths;
  std::unordered_set<std::string> in_cpu, in_cpuset;
  auto add_tree = [&](const std::optional<ControllerHome>& home, std::unordered_set<std::string>& in) {
    if (!home) return;
    for (auto& p : walk_cgroup_tree(host, home->mount, depth)) {
      if (!in_cpu.count(p) && !in_cpuset.count(p)) paths.push_back(p);
      in.insert(std::move(p));
    }
  };
  add_tree(layout.cpu, in_cpu);
  if (layout.cpu && layout.cpuset && layout.cpu->mount == layout.cpuset->mount)
    in_cpuset = in_cpu;  // one v2 tree: walk it once
  else
    add_tree(layout.cpuset, in_cpuset);

  // Without any cpuset limit a group may run on every online CPU.
  std::optional<int> online;
  if (auto cpus = read_cpulist_field(host, "/sys/devices/system/cpu/online", errors, Presence::kOptional))
    online = static_cast<int>(cpus->size());

  std::unordered_map<std::string, Limits> limits;
  limits.reserve(paths.size());
  c.groups.reserve(paths.size());
  for (const auto& path : paths) {
    CgroupInfo g;
    g.path = path;
    g.version = layout.cpu ? layout.cpu->version : layout.cpuset->version;
    std::optional<double> quota;
    std::optional<int> cpuset;
    if (in_cpu.count(path)) quota = read_cpu(host, *layout.cpu, path, g, errors).cpus;
    if (in_cpuset.count(path)) cpuset = read_cpuset(host, *layout.cpuset, path, g, errors);

    auto parent = limits.find(cgroup_parent(path));
    Limits inherited = parent != limits.end() ? parent->second : Limits{std::nullopt, online};
    Limits mine{tighter(quota, inherited.quota_cpus), tighter(cpuset, inherited.cpuset_cpus)};
    std::optional<double> cpuset_d;
    if (mine.cpuset_cpus) cpuset_d = static_cast<double>(*mine.cpuset_cpus);
    g.effective_cpus = tighter(mine.quota_cpus, cpuset_d);
    limits.emplace(path, mine);
    c.groups.push_back(std::move(g));
  }
  return c;
}

}  // namespace tunectl
