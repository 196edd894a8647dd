// Where the cgroup hierarchies are mounted (/proc/self/mountinfo) and what that makes the host:
// unified (cgroup2 only), hybrid (v1 controllers plus a cgroup2 tree) or legacy (v1 only).
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace tunectl {

struct CgroupMount {
  std::string mount_point;               // kernel path, escapes decoded ("\040" -> " ")
  bool v2 = false;                       // cgroup2 (else cgroup v1)
  std::vector<std::string> options;      // v1 super options: "rw", "cpu", "cpuacct", "name=systemd"
};

// Every cgroup/cgroup2 mount, in mountinfo order; other filesystems are skipped.
std::vector<CgroupMount> parse_cgroup_mounts(const std::string& mountinfo);

// The cgroup2 mount that is the unified hierarchy (/sys/fs/cgroup or /sys/fs/cgroup/unified
// preferred over bind mounts elsewhere), if any.
std::optional<std::string> unified_mount(const std::vector<CgroupMount>& mounts);

struct ControllerHome {
  std::string version;  // "v2" or "v1"
  std::string mount;    // kernel path of the hierarchy root
};

struct CgroupLayout {
  std::string mode;  // unified, hybrid, legacy; empty when no cgroup filesystem is mounted
  std::optional<std::string> unified_mount;
  std::optional<ControllerHome> cpu, cpuset;
};

// `v2_controllers` is the unified root's cgroup.controllers ("cpuset cpu io memory"): a controller
// listed there lives in v2; otherwise in the v1 mount carrying it as a super option.
CgroupLayout locate_cgroups(const std::vector<CgroupMount>& mounts, const std::string& v2_controllers);

}  // namespace tunectl
