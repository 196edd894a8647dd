// cgroup_dir:<path> -> the cgroup directory <path> in the hierarchies tunectl writes: the cpu
// controller's and, where it is mounted elsewhere (cgroup v1), the cpuset controller's. Values:
// "present" | "absent". Planned, journaled, verified and rolled back like every knob; profiles
// ask for it with "create": true on a group (the cgroups section, tuner/knobs/knob_cgroup.cpp).
//
// Raw bytes are one line per hierarchy, "<kernel dir> present|absent", so a rollback restores
// exactly the directories that were absent before. Only the last path component is created; its
// parent must exist inside the mount. On a captured tree, mkdir also creates the interface files
// the kernel would (cgroup core, cpu and cpuset files with their defaults), and rmdir removes
// them, so profiles that create cgroups can be rehearsed on any tree.
#include <algorithm>
#include <cerrno>
#include <map>
#include <utility>

#include "core/errors.h"
#include "core/json_check.h"
#include "tuner/knobs/cgroup_homes.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/knob_util.h"

namespace tunectl {
namespace {
using namespace knob_util;

struct Hierarchy {
  std::string mount, dir;  // kernel paths
  bool v1 = false;
  bool cpu = false, cpuset = false;  // controllers tunectl uses that live here
};

using Files = std::vector<std::pair<std::string, std::string>>;  // name, default bytes

// What the kernel creates in a new cgroup, for the controllers tunectl reads and writes.
Files interface_files(const Host& host, const Hierarchy& h, const std::string& parent) {
  Files f;
  if (h.v1) {
    f = {{"cgroup.procs", ""}, {"tasks", ""}, {"notify_on_release", "0\n"}, {"cgroup.clone_children", "0\n"}};
    if (h.cpu) {
      f.insert(f.end(), {{"cpu.cfs_quota_us", "-1\n"}, {"cpu.cfs_period_us", "100000\n"}, {"cpu.shares", "1024\n"},
                         {"cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n"}});
      if (host.exists(parent + "/cpu.cfs_burst_us")) f.push_back({"cpu.cfs_burst_us", "0\n"});  // kernel >= 5.14
    }
    if (h.cpuset)
      f.insert(f.end(), {{"cpuset.cpus", "\n"}, {"cpuset.mems", "\n"}, {"cpuset.effective_cpus", "\n"},
                         {"cpuset.effective_mems", "\n"}, {"cpuset.cpu_exclusive", "0\n"}, {"cpuset.mem_exclusive", "0\n"}});
    return f;
  }
  // v2: a child gets the controllers its parent enables for its children.
  const std::string enabled = host.read(parent + "/cgroup.subtree_control").data;
  const auto words = split_ws(enabled);
  auto has = [&](const std::string& c) { return std::find(words.begin(), words.end(), c) != words.end(); };
  f = {{"cgroup.procs", ""}, {"cgroup.threads", ""}, {"cgroup.controllers", fold_ws(enabled) + "\n"},
       {"cgroup.subtree_control", "\n"}, {"cgroup.type", "domain\n"}, {"cgroup.events", "populated 0\nfrozen 0\n"},
       {"cgroup.freeze", "0\n"}, {"cgroup.max.depth", "max\n"}, {"cgroup.max.descendants", "max\n"},
       {"cgroup.stat", "nr_descendants 0\nnr_dying_descendants 0\n"}};
  if (has("cpu"))
    f.insert(f.end(), {{"cpu.max", "max 100000\n"}, {"cpu.max.burst", "0\n"}, {"cpu.weight", "100\n"},
                       {"cpu.weight.nice", "0\n"}, {"cpu.idle", "0\n"},
                       {"cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\n"
                                    "throttled_usec 0\nnr_bursts 0\nburst_usec 0\n"}});
  if (has("cpuset")) {
    auto parent_or = [&](const std::string& file) {
      ReadResult r = host.read(parent + "/" + file);
      return r.ok ? r.data : std::string("\n");
    };
    f.insert(f.end(), {{"cpuset.cpus", "\n"}, {"cpuset.mems", "\n"},
                       {"cpuset.cpus.effective", parent_or("cpuset.cpus.effective")},
                       {"cpuset.mems.effective", parent_or("cpuset.mems.effective")},
                       {"cpuset.cpus.partition", "member\n"}});
  }
  return f;
}

class CgroupDirKnob : public Knob {
 public:
  CgroupDirKnob(const std::string& address, std::string path) : Knob(address), path_(std::move(path)) {}

  std::string kind() const override { return "cgroup_dir"; }

  ReadResult read_raw(const Host& host) const override {
    std::string error;
    const auto hs = hierarchies(host, &error);
    if (hs.empty()) return ReadResult{false, "", ENOENT, address() + ": " + error};
    ReadResult r;
    r.ok = true;
    for (const auto& h : hs) r.data += h.dir + (host.is_dir(h.dir) ? " present\n" : " absent\n");
    return r;
  }

  std::string normalise(const std::string& value) const override { return fold_ws(value); }

  // "present" / "absent" when every hierarchy agrees, else "partial" (never a desired value).
  std::string normalise_raw(const std::string& raw) const override {
    bool any_present = false, any_absent = false;
    for (const auto& line : split(trim(raw), '\n')) {
      const auto w = split_ws(line);
      if (w.empty()) continue;
      (w.back() == "present" ? any_present : any_absent) = true;
    }
    return any_present && any_absent ? "partial" : any_present ? "present" : "absent";
  }

  std::optional<std::string> validate(const std::string& desired) const override {
    const std::string d = trim(desired);
    if (d == "present" || d == "absent") return std::nullopt;
    return "must be \"present\" or \"absent\", got '" + d + "'";
  }

  WriteOutcome write(const Host& host, const std::string& desired) const override {
    std::string error;
    const auto hs = hierarchies(host, &error);
    if (hs.empty()) return WriteOutcome{ENOENT, address() + ": " + error};
    const bool want = trim(desired) == "present";
    for (size_t i = 0; i < hs.size(); ++i) {
      const Hierarchy& h = want ? hs[i] : hs[hs.size() - 1 - i];
      WriteOutcome w = want ? make(host, h) : remove(host, h);
      if (!w.ok()) return w;
    }
    return {};
  }

  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    std::string error;
    const auto hs = hierarchies(host, &error);
    // Newest first: directories the write created are removed; ones that existed are kept.
    const auto before = recorded(raw);
    for (auto it = hs.rbegin(); it != hs.rend(); ++it) {
      auto was = before.find(it->dir);
      if (was == before.end()) continue;  // not part of what was recorded
      WriteOutcome w = was->second ? make(host, *it) : remove(host, *it);
      if (!w.ok()) return w;
    }
    return {};
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    std::string error;
    const auto hs = hierarchies(host, &error);
    if (hs.empty()) return error;
    for (const auto& h : hs) {
      if (auto why = parent_problem(host, h)) return why;
    }
    return std::nullopt;
  }

 private:
  // Raw bytes -> kernel dir -> present.
  static std::map<std::string, bool> recorded(const std::string& raw) {
    std::map<std::string, bool> out;
    for (const auto& line : split(raw, '\n')) {
      const size_t sp = line.rfind(' ');
      if (sp != std::string::npos) out[line.substr(0, sp)] = line.substr(sp + 1) == "present";
    }
    return out;
  }

  WriteOutcome failed(int err, const std::string& what, const std::string& dir) const {
    return WriteOutcome{err, address() + ": cannot " + what + " " + dir + " (" + errno_name(err) + ")"};
  }

  std::vector<Hierarchy> hierarchies(const Host& host, std::string* error) const {
    std::vector<Hierarchy> out;
    if (path_ == "/") {
      *error = "the root cgroup always exists and cannot be created or removed";
      return out;
    }
    const CgroupHomes homes = cgroup_homes(host);
    if (homes.error) {
      *error = *homes.error;
      return out;
    }
    for (const auto* home : {&homes.cpu, &homes.cpuset}) {
      if (!*home) continue;
      Hierarchy* same = nullptr;
      for (auto& h : out)
        if (h.mount == (*home)->mount) same = &h;
      if (!same) {
        out.push_back(Hierarchy{(*home)->mount, (*home)->mount + path_, (*home)->version == "v1"});
        same = &out.back();
      }
      (home == &homes.cpu ? same->cpu : same->cpuset) = true;
    }
    if (out.empty()) *error = "neither the cpu nor the cpuset controller is mounted on this host";
    return out;
  }

  std::string parent_of(const Hierarchy& h) const { return h.dir.substr(0, h.dir.rfind('/')); }

  std::optional<std::string> parent_problem(const Host& host, const Hierarchy& h) const {
    const std::string parent = parent_of(h);
    const std::string base = cgroup_real_path(host, h.mount), rp = cgroup_real_path(host, parent);
    if (rp.empty()) return "parent cgroup " + parent + " does not exist";
    if (!path_inside(base, rp)) return "parent cgroup " + parent + " resolves outside the cgroup mount " + h.mount;
    return std::nullopt;
  }

  WriteOutcome make(const Host& host, const Hierarchy& h) const {
    if (host.is_dir(h.dir)) return {};
    if (auto why = parent_problem(host, h)) return WriteOutcome{ENOENT, address() + ": " + *why};
    if (int err = host.make_dir(h.dir)) return failed(err, "create", h.dir);
    // A racing symlink would show here: the new directory must be inside the mount.
    if (!path_inside(cgroup_real_path(host, h.mount), cgroup_real_path(host, h.dir))) {
      host.remove_dir(h.dir);
      return WriteOutcome{EPERM, address() + ": " + h.dir + " resolves outside the cgroup mount"};
    }
    if (host.is_live()) return {};
    for (const auto& [name, bytes] : interface_files(host, h, parent_of(h)))
      if (int err = host.create_file(h.dir + "/" + name, bytes)) return failed(err, "create", h.dir + "/" + name);
    return {};
  }

  WriteOutcome remove(const Host& host, const Hierarchy& h) const {
    if (!host.is_dir(h.dir)) return {};
    if (!host.is_live()) {
      // cgroupfs removes a group with its interface files, but never one with child groups.
      for (const auto& name : host.list(h.dir))
        if (host.is_dir(h.dir + "/" + name)) return failed(EBUSY, "remove", h.dir);
      for (const auto& name : host.list(h.dir)) host.remove_file(h.dir + "/" + name);
    }
    if (int err = host.remove_dir(h.dir)) return failed(err, "remove", h.dir);
    return {};
  }

  std::string path_;
};

std::unique_ptr<Knob> make_cgroup_dir(const std::string& address) {
  const std::string path = address.substr(address.find(':') + 1);
  return std::make_unique<CgroupDirKnob>(address, canonical_cgroup_path(path, "bad knob address '" + address + "': "));
}

}  // namespace

KnobKind knob_kind_cgroup_dir() {
  return KnobKind{"cgroup_dir", "cgroup_dir:<path>, e.g. cgroup_dir:/work.slice (values present, absent)",
                  make_cgroup_dir, ApplyPhase::kContainers, "/sys/fs/cgroup", nullptr};
}

}  // namespace tunectl
