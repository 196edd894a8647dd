// cgroup:<path>:<file> -> <controller mount><path>/<file>.
//   v2 names: cpu.max, cpu.max.burst, cpu.weight, cpuset.cpus
//   v1 names: cpu.cfs_quota_us, cpu.cfs_period_us, cpu.shares, cpu.cfs_burst_us, cpuset.cpus
// When the cpu controller lives on v1 (legacy/hybrid), the v2 names map to v1 files: cpu.max ->
// cpu.cfs_quota_us + cpu.cfs_period_us (raw value in cpu.max syntax, "max 100000\n", rebuilt into
// both files byte for byte on restore), cpu.max.burst -> cpu.cfs_burst_us. cpu.weight has no exact
// v1 equivalent (the shares scale differs) and is not settable there: use cpu.shares.
// The path must stay inside the controller's mount: no "..", no ".", no NUL, no symlink escape
// (checked by resolving on every use).
#include <climits>
#include <cerrno>
#include <cstdlib>

#include "probes/cgroup_mounts.h"
#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/knob_util.h"

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

std::string real(const std::string& p) {
  char* r = ::realpath(p.c_str(), nullptr);
  if (!r) return "";
  std::string s(r);
  std::free(r);
  return s;
}

bool inside(const std::string& base, const std::string& p) {
  return !base.empty() && !p.empty() && (p == base || p.rfind(base + "/", 0) == 0);
}

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
  const std::string& cgroup_path() const { return path_; }

  Target target(const Host& host) const {
    Target t;
    ReadResult mi = host.read("/proc/self/mountinfo");
    if (!mi.ok) {
      t.error = "cannot find the cgroup mounts: " + mi.error;
      return t;
    }
    const auto mounts = parse_cgroup_mounts(mi.data);
    std::string v2_controllers;
    if (auto u = unified_mount(mounts))
      v2_controllers = host.read_trimmed(*u + "/cgroup.controllers").value_or("");
    const CgroupLayout layout = locate_cgroups(mounts, v2_controllers);
    const auto& home = spec_.cpuset ? layout.cpuset : layout.cpu;
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
    const std::string base = real(host.resolve(t.mount));
    for (const std::string& p : {t.dir, t.file, t.file2}) {
      if (p.empty()) continue;
      const std::string r = real(host.resolve(p));
      if (!r.empty() && !inside(base, r)) {
        t.error = "cgroup path " + path_ + " resolves outside the cgroup mount " + t.mount;
        return t;
      }
    }
    return t;
  }

  ReadResult read_raw(const Host& host) const override {
    Target t = target(host);
    if (t.error) return ReadResult{false, "", ENOENT, address() + ": " + *t.error};
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
    if (!host.is_dir(t.dir)) return "cgroup " + path_ + " does not exist (" + t.dir + "; set \"create\": true to create it)";
    if (auto why = file_not_settable(host, t.file)) return why;
    if (!t.file2.empty()) return file_not_settable(host, t.file2);
    return std::nullopt;
  }

  CgroupDirOutcome make_dir(const Host& host) const {
    CgroupDirOutcome o;
    if (path_ == "/") {
      o.err = EEXIST;
      o.message = address() + ": the root cgroup cannot be created";
      return o;
    }
    Target t = target(host);
    o.dir = t.dir;
    if (t.error && t.dir.empty()) {
      o.err = EPERM;
      o.message = address() + ": " + *t.error;
      return o;
    }
    const std::string parent = t.dir.substr(0, t.dir.rfind('/'));
    const std::string base = real(host.resolve(t.mount)), rp = real(host.resolve(parent));
    if (!inside(base, rp)) {
      o.err = rp.empty() ? ENOENT : EPERM;
      o.message = address() + ": parent " + parent + (rp.empty() ? " does not exist" : " resolves outside the cgroup mount");
      return o;
    }
    if (host.is_dir(t.dir)) return o;  // already there: nothing created, nothing to undo
    if (int err = host.make_dir(t.dir)) {
      o.err = err;
      o.message = address() + ": cannot create " + t.dir + " (" + errno_name(err) + ")";
      return o;
    }
    // Re-check after creation (a racing symlink would show here).
    const std::string rd = real(host.resolve(t.dir));
    if (!inside(base, rd)) {
      host.remove_dir(t.dir);
      o.err = EPERM;
      o.message = address() + ": " + t.dir + " resolves outside the cgroup mount";
      return o;
    }
    o.created = true;
    return o;
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
  if (path.empty() || path[0] != '/') throw InputError(bad + "cgroup path '" + path + "' must start with '/'");
  if (path.find('\0') != std::string::npos) throw InputError(bad + "cgroup path contains NUL");
  if (path.size() > 1024) throw InputError(bad + "cgroup path is longer than 1024 bytes");
  std::string canon;
  for (const auto& c : split(path, '/')) {
    if (c.empty()) continue;
    if (c == "." || c == "..") throw InputError(bad + "cgroup path '" + path + "' may not contain '" + c + "'");
    if (c.size() > 255) throw InputError(bad + "cgroup path component longer than 255 bytes");
    canon += "/" + c;
  }
  if (canon.empty()) canon = "/";
  std::string names;
  for (const auto& f : kFiles) {
    if (file == f.name) return std::make_unique<CgroupKnob>(address, canon, f);
    names += std::string(names.empty() ? "" : ", ") + f.name;
  }
  throw InputError(bad + "'" + file + "' is not a cgroup file tunectl manages (allowed: " + names + ")");
}

}  // namespace

KnobKind knob_kind_cgroup() {
  return KnobKind{"cgroup", "cgroup:<path>:<file>, e.g. cgroup:/work.slice:cpu.max",
    [](const std::string& a) -> std::unique_ptr<Knob> { return make_cgroup_knob(a); }};
}

CgroupDirOutcome make_cgroup_dir(const Host& host, const std::string& address) {
  if (address.rfind("cgroup:", 0) != 0) throw InputError("not a cgroup knob address: '" + address + "'");
  return make_cgroup_knob(address)->make_dir(host);
}

WriteOutcome remove_cgroup_dir(const Host& host, const std::string& address) {
  if (address.rfind("cgroup:", 0) != 0) throw InputError("not a cgroup knob address: '" + address + "'");
  auto k = make_cgroup_knob(address);
  Target t = k->target(host);
  if (t.dir.empty() || k->cgroup_path() == "/") return WriteOutcome{EPERM, address + ": " + t.error.value_or("refusing to remove the root cgroup")};
  if (int err = host.remove_dir(t.dir))
    return WriteOutcome{err, address + ": cannot remove " + t.dir + " (" + errno_name(err) + ")"};
  return {};
}

}  // namespace tunectl
