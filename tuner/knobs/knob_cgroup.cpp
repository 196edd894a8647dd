// cgroup:<path>:<file> -> <controller mount><path>/<file>.
//   v2 names: cpu.max, cpu.max.burst, cpu.weight, cpuset.cpus
//   v1 names: cpu.cfs_quota_us, cpu.cfs_period_us, cpu.shares, cpu.cfs_burst_us, cpuset.cpus
// When the cpu controller lives on v1 (legacy/hybrid), the v2 names map to v1 files: cpu.max ->
// cpu.cfs_quota_us + cpu.cfs_period_us (raw value in cpu.max syntax, "max 100000\n", rebuilt into
// both files byte for byte on restore), cpu.max.burst -> cpu.cfs_burst_us. cpu.weight has no exact
// v1 equivalent (the shares scale differs) and is not settable there: use cpu.shares.
// The path must stay inside the controller's mount: no "..", no ".", no NUL, no symlink escape
// (checked by resolving on every use).
#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstdlib>

#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "core/json_check.h"
#include "tuner/knobs/cgroup_homes.h"
#include "tuner/knobs/knob_util.h"
#include "tuner/knobs/section.h"

namespace tunectl {
namespace {
using namespace knob_util;

enum class File { kCpuMax, kCpuMaxBurst, kCpuWeight, kCpusetCpus, kCfsQuota, kCfsPeriod, kShares, kCfsBurst };

struct FileSpec {
  const char* name;
  File file;
  bool cpuset;   // cpuset controller (else cpu)
  int version;   // 2: v2 name, 1: v1 name, 0: both
};
const FileSpec kFiles[] = {
    {"cpu.max", File::kCpuMax, false, 2},           {"cpu.max.burst", File::kCpuMaxBurst, false, 2},
    {"cpu.weight", File::kCpuWeight, false, 2},     {"cpuset.cpus", File::kCpusetCpus, true, 0},
    {"cpu.cfs_quota_us", File::kCfsQuota, false, 1}, {"cpu.cfs_period_us", File::kCfsPeriod, false, 1},
    {"cpu.shares", File::kShares, false, 1},        {"cpu.cfs_burst_us", File::kCfsBurst, false, 1},
};

// Where a knob writes on a given host: the controller's mount and the file(s).
struct Target {
  std::optional<std::string> error;  // why it cannot be written here
  std::string mount, dir;            // kernel paths
  std::string file, file2;           // file2: cfs_period_us for v1 cpu.max
  bool v1 = false;
};


// cpu.max syntax: {"max"|Q} [P]; quota -1 means max.
struct CpuMax {
  std::optional<int64_t> quota;  // nullopt: max
  std::optional<int64_t> period;
};
std::optional<std::string> parse_cpu_max(const std::string& text, CpuMax* out) {
  const auto w = split_ws(text);
  if (w.empty() || w.size() > 2) return "expects \"max\" or \"<quota> [<period>]\" in usec, got '" + fold_ws(text) + "'";
  CpuMax m;
  if (w[0] != "max") {
    int64_t q = 0;
    if (auto why = check_int(w[0], 1000, INT64_MAX / 2, &q)) return "quota " + (why->find("must be 1000..") == 0 ? std::string("must be ≥ 1000 usec, got ") + w[0] : *why);
    m.quota = q;
  }
  if (w.size() == 2) {
    int64_t p = 0;
    if (auto why = check_int(w[1], 1000, 1000000, &p)) return "period " + *why + " (usec)";
    m.period = p;
  }
  if (out) *out = m;
  return std::nullopt;
}

class CgroupKnob : public Knob {
 public:
  CgroupKnob(const std::string& address, std::string path, const FileSpec& spec)
      : Knob(address), path_(std::move(path)), spec_(spec) {}

  std::string kind() const override { return "cgroup"; }
  // cpuset first, cpu.max before cpu.max.burst: the kernel refuses a burst larger than the quota.
  int order_in_phase() const override {
    static const std::vector<std::string> order = {"cpuset.cpus", "cpu.weight", "cpu.shares", "cpu.max", "cpu.max.burst"};
    auto it = std::find(order.begin(), order.end(), spec_.name);
    return int(it - order.begin());
  }
  std::optional<std::string> container() const override { return "cgroup_dir:" + path_; }
  const std::string& cgroup_path() const { return path_; }

  Target target(const Host& host) const {
    Target t;
    const CgroupHomes homes = cgroup_homes(host);
    if (homes.error) {
      t.error = homes.error;
      return t;
    }
    const auto& home = spec_.cpuset ? homes.cpuset : homes.cpu;
    const std::string ctl = spec_.cpuset ? "cpuset" : "cpu";
    if (!home) {
      t.error = "no " + ctl + " controller is mounted on this host";
      return t;
    }
    t.v1 = home->version == "v1";
    t.mount = home->mount;
    t.dir = home->mount + (path_ == "/" ? "" : path_);
    if (spec_.version == 1 && !t.v1) {
      t.error = std::string(spec_.name) + " is a cgroup v1 file, but the " + ctl +
                " controller is on cgroup v2 here (use cpu.max, cpu.max.burst, cpu.weight)";
      return t;
    }
    switch (spec_.file) {
      case File::kCpuMax:
        if (t.v1) {
          t.file = t.dir + "/cpu.cfs_quota_us";
          t.file2 = t.dir + "/cpu.cfs_period_us";
        } else {
          t.file = t.dir + "/cpu.max";
        }
        break;
      case File::kCpuMaxBurst: t.file = t.dir + (t.v1 ? "/cpu.cfs_burst_us" : "/cpu.max.burst"); break;
      case File::kCpuWeight:
        if (t.v1) {
          t.error = "cpu.weight has no exact cgroup v1 equivalent (the cpu controller is on v1 here): use cgroup:" +
                    path_ + ":cpu.shares";
          return t;
        }
        t.file = t.dir + "/cpu.weight";
        break;
      default: t.file = t.dir + "/" + spec_.name; break;
    }
    // Symlink escapes: everything must resolve inside the mount.
    const std::string base = cgroup_real_path(host, t.mount);
    for (const std::string& p : {t.dir, t.file, t.file2}) {
      if (p.empty()) continue;
      const std::string r = cgroup_real_path(host, p);
      if (!r.empty() && !path_inside(base, r)) {
        t.error = "cgroup path " + path_ + " resolves outside the cgroup mount " + t.mount;
        return t;
      }
    }
    return t;
  }

  ReadResult read_raw(const Host& host) const override {
    Target t = target(host);
    if (t.error) return ReadResult{false, "", ENOENT, address() + ": " + *t.error};
    if (!host.is_dir(t.dir))
      return ReadResult{false, "", ENOENT,
                        address() + ": cgroup " + path_ + " does not exist (to create it, say \"create\": true)"};
    if (t.file2.empty()) return host.read(t.file);
    // v1 cpu.max: "<quota|max> <period>\n" from the two files.
    ReadResult q = host.read(t.file), p = host.read(t.file2);
    if (!q.ok) return q;
    if (!p.ok) return p;
    const std::string qs = trim(q.data), ps = trim(p.data);
    ReadResult r;
    r.ok = true;
    r.data = (qs == "-1" ? "max" : qs) + " " + ps + "\n";
    return r;
  }

  std::string normalise(const std::string& value) const override {
    if (spec_.file == File::kCpusetCpus) {
      auto p = parse_cpulist(trim(value));
      return p.ok() ? format_cpulist(*p.value) : fold_ws(value);
    }
    std::string out;
    for (const auto& w : split_ws(value)) {
      auto v = parse_int(w);
      out += (out.empty() ? "" : " ") + (v ? std::to_string(*v) : w);
    }
    return out;
  }

  std::optional<std::string> validate(const std::string& desired) const override {
    switch (spec_.file) {
      case File::kCpuMax: return parse_cpu_max(desired, nullptr);
      case File::kCpuMaxBurst:
      case File::kCfsBurst: return check_int(desired, 0, INT32_MAX);
      case File::kCpuWeight: return check_int(desired, 1, 10000);
      case File::kShares: return check_int(desired, 2, 262144);
      case File::kCfsPeriod: return check_int(desired, 1000, 1000000);
      case File::kCfsQuota: {
        if (trim(desired) == "-1") return std::nullopt;
        if (check_int(desired, 1000, INT64_MAX / 2)) return "must be -1 (no limit) or ≥ 1000 usec, got '" + trim(desired) + "'";
        return std::nullopt;
      }
      case File::kCpusetCpus: {
        auto p = parse_cpulist(trim(desired));
        if (!p.ok()) return p.error;
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> validate_for(const Host& host, const std::string& desired) const override {
    if (auto why = validate(desired)) return why;
    if (spec_.file == File::kCpuMaxBurst || spec_.file == File::kCfsBurst) {
      // v1 shows cpu.cfs_burst_us in every group, the root included, from Linux 5.14 on.
      Target t = target(host);
      if (!t.error && t.v1 && !host.exists(t.mount + "/cpu.cfs_burst_us"))
        return "this kernel has no CFS burst (" + t.mount + "/cpu.cfs_burst_us is missing; Linux 5.14+)";
    }
    if (spec_.file == File::kCpusetCpus) {
      auto n = possible_cpus(host);
      auto cpus = *parse_cpulist(trim(desired)).value;
      if (n && !cpus.empty() && cpus.back() >= *n)
        return "CPU " + std::to_string(cpus.back()) + " does not exist (this host has " + std::to_string(*n) + " possible CPUs)";
    }
    return std::nullopt;
  }

  WriteOutcome write(const Host& host, const std::string& desired) const override {
    Target t = target(host);
    if (t.error) return WriteOutcome{EPERM, address() + ": " + *t.error};
    if (spec_.file == File::kCpuMax) {
      CpuMax m;
      if (auto why = parse_cpu_max(desired, &m)) return WriteOutcome{EINVAL, address() + ": " + *why};
      if (!t.v1) {
        std::string v = m.quota ? std::to_string(*m.quota) : "max";
        if (m.period) v += " " + std::to_string(*m.period);
        return write_file(host, address(), t.file, v + "\n");
      }
      return write_v1_max(host, t, m.quota.value_or(-1), m.period);
    }
    return write_file(host, address(), t.file, normalise(desired) + "\n");
  }

  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    Target t = target(host);
    if (t.error) return WriteOutcome{EPERM, address() + ": " + *t.error};
    if (t.file2.empty()) return write_file(host, address(), t.file, raw);
    CpuMax m;
    if (auto why = parse_cpu_max(raw, &m)) return WriteOutcome{EINVAL, address() + ": cannot restore: " + *why};
    return write_v1_max(host, t, m.quota.value_or(-1), m.period);
  }

  Effect check_effect(const Host& host, const std::string& desired) const override {
    if (spec_.file != File::kCpusetCpus) return {};
    Target t = target(host);
    if (t.error) return {};
    auto want = parse_cpulist(trim(desired));
    auto eff_text = host.read_trimmed(t.dir + (t.v1 ? "/cpuset.effective_cpus" : "/cpuset.cpus.effective"));
    if (!want.ok() || want.value->empty() || !eff_text) return {};
    auto eff = parse_cpulist(*eff_text);
    if (!eff.ok()) return {EffectStatus::kFailed, "unreadable effective cpus: " + eff.error};
    const std::string detail = "effective cpus " + format_cpulist(*eff.value) + " (requested " + format_cpulist(*want.value) + ")";
    return {*eff.value == *want.value ? EffectStatus::kOk : EffectStatus::kFailed, detail};
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    Target t = target(host);
    if (t.error) return t.error;
    if (!host.is_dir(t.dir))
      return "cgroup " + path_ + " does not exist (" + t.dir + "; set \"create\": true to create it)";
    if (auto why = file_not_settable(host, t.file)) return why;
    if (!t.file2.empty()) return file_not_settable(host, t.file2);
    return std::nullopt;
  }

 private:
  // Writes quota and period in the order whose intermediate bandwidth is the smaller, so a
  // hierarchy limit (children ≤ parent) is never exceeded on the way.
  WriteOutcome write_v1_max(const Host& host, const Target& t, int64_t quota, std::optional<int64_t> period) const {
    const std::string qs = std::to_string(quota) + "\n";
    if (!period) return write_file(host, address(), t.file, qs);
    const std::string ps = std::to_string(*period) + "\n";
    auto old_q = parse_int(trim(host.read(t.file).data)), old_p = parse_int(trim(host.read(t.file2).data));
    auto ratio = [](int64_t q, int64_t p) { return q < 0 || p <= 0 ? 1e300 : static_cast<double>(q) / p; };
    bool quota_first = true;
    if (old_q && old_p) quota_first = ratio(quota, *old_p) <= ratio(*old_q, *period);
    const std::string& f1 = quota_first ? t.file : t.file2;
    const std::string& f2 = quota_first ? t.file2 : t.file;
    WriteOutcome a = write_file(host, address(), f1, quota_first ? qs : ps);
    if (!a.ok()) return a;
    return write_file(host, address(), f2, quota_first ? ps : qs);
  }

  std::string path_;  // "/work.slice" ("/" for the root)
  const FileSpec& spec_;
};

std::unique_ptr<CgroupKnob> make_cgroup_knob(const std::string& address) {
  const std::string bad = "bad knob address '" + address + "': ";
  const std::string rest = address.substr(7);  // after "cgroup:"
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos) throw InputError(bad + "expected cgroup:<path>:<file>");
  const std::string path = rest.substr(0, colon), file = rest.substr(colon + 1);
  const std::string canon = canonical_cgroup_path(path, bad);
  std::string names;
  for (const auto& f : kFiles) {
    if (file == f.name) return std::make_unique<CgroupKnob>(address, canon, f);
    names += std::string(names.empty() ? "" : ", ") + f.name;
  }
  throw InputError(bad + "'" + file + "' is not a cgroup file tunectl manages (allowed: " + names + ")");
}

}  // namespace

namespace {
using namespace json_check;

void check_cgroup_path(const std::string& path, const std::string& at) {
  constexpr size_t kMaxCgroupPath = 256;
  if (path.empty() || path.front() != '/')
    throw JsonError(at, "cgroup path must start with '/' (relative to the cgroup mount)");
  if (path.size() > kMaxCgroupPath)
    throw JsonError(at, "cgroup path longer than " + std::to_string(kMaxCgroupPath) + " characters");
  if (path == "/") throw JsonError(at, "the root cgroup has no CPU limits; name a group below it");
  size_t depth = 0;
  for (const auto& comp : split(path.substr(1), '/')) {
    if (comp.empty()) throw JsonError(at, "cgroup path has an empty component");
    if (comp == "." || comp == "..") throw JsonError(at, "cgroup path must not contain '" + comp + "' (path traversal)");
    check_name(comp, at, "cgroup path component", ".@", 128);
    if (++depth > 16) throw JsonError(at, "cgroup path deeper than 16 levels");
  }
}

// cgroupfs has no symlinks; one on the way to a profile's group can only lead out of the mount.
void check_cgroup_symlinks(const std::string& path, const std::string& pointer, PlanSink& sink) {
  const Snapshot& snap = sink.snapshot();
  if (!snap.cgroups) return;
  for (const auto& mount : {snap.cgroups->unified_mount, snap.cgroups->cpu_mount, snap.cgroups->cpuset_mount}) {
    if (!mount) continue;
    std::string p = *mount;
    for (const auto& comp : split(path.substr(1), '/')) {
      p += "/" + comp;
      if (auto target = sink.host().readlink(p))
        sink.profile_error(pointer, "cgroup path leads through a symlink (" + p + " -> " + *target +
                                        "): it could escape the cgroup mount; refusing");
    }
  }
}

void collect_cgroups(const json& sec, PlanSink& sink) {
  for (const auto& [path, g] : sec.items()) {
    const std::string gp = "/cgroups/" + pointer_token(path);
    check_cgroup_symlinks(path, gp, sink);
    if (g.value("create", false)) {
      Setting s{"present", "the profile creates " + path + " (\"create\": true)", g.value("source", ""), gp + "/create"};
      sink.add("cgroup_dir:" + path, s);
    }
    for (const auto& [field, s] : g.items())
      if (is_setting(s)) sink.add("cgroup:" + path + ":" + field, setting_of(s, gp + "/" + pointer_token(field)));
  }
}

}  // namespace

// Profile section: {"cgroups": {"/work.slice": {"create": true, "cpu.max": SETTING, ...}}}.
// "create" becomes a cgroup_dir knob (tuner/knobs/knob_cgroup_dir.cpp) planned before the files.
KnobKind knob_kind_cgroup() {
  auto section = std::make_shared<ProfileSection>();
  section->name = "cgroups";
  section->shape = SectionShape::kGrouped;
  section->check_key = check_cgroup_path;
  section->check_field = [](const std::string& field, const std::string& at) { check_name(field, at, "cgroup file", ".", 64); };
  section->address = [](const std::string& path, const std::string& field) { return "cgroup:" + path + ":" + field; };
  section->group_flags = {"create"};
  section->collect = collect_cgroups;
  return KnobKind{"cgroup", "cgroup:<path>:<file>, e.g. cgroup:/work.slice:cpu.max",
                  [](const std::string& a) -> std::unique_ptr<Knob> { return make_cgroup_knob(a); },
                  ApplyPhase::kContainerLimits, "/sys/fs/cgroup", section};
}

}  // namespace tunectl
