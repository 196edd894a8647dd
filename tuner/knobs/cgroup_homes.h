// Where the cgroup knobs write on a host: the hierarchy of the cpu and of the cpuset controller
// (cgroup v2's unified mount, or each controller's own v1 mount), and the containment check
// every cgroup path must pass. Shared by the cgroup (files) and cgroup_dir (directories) kinds.
#pragma once
#include <optional>
#include <string>

#include "core/host.h"
#include "probes/cgroup_mounts.h"

namespace tunectl {

struct CgroupHomes {
  std::optional<ControllerHome> cpu, cpuset;
  std::optional<std::string> error;  // why the mounts could not be found
};
CgroupHomes cgroup_homes(const Host& host);

// A cgroup path from a knob address in canonical form ("/a//b/" -> "/a/b"); throws InputError
// starting with `bad` when it is relative, has "." or "..", NUL, or is too long.
std::string canonical_cgroup_path(const std::string& path, const std::string& bad);

// The real path of a kernel path on this host ("" when it does not resolve).
std::string cgroup_real_path(const Host& host, const std::string& kernel_path);
// Whether `path` (a real path) is `base` or below it.
bool path_inside(const std::string& base, const std::string& path);

}  // namespace tunectl
