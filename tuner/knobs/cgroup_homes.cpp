#include "tuner/knobs/cgroup_homes.h"

#include <cstdlib>

#include "core/errors.h"

namespace tunectl {

CgroupHomes cgroup_homes(const Host& host) {
  CgroupHomes h;
  ReadResult mi = host.read("/proc/self/mountinfo");
  if (!mi.ok) {
    h.error = "cannot find the cgroup mounts: " + mi.error;
    return h;
  }
  const auto mounts = parse_cgroup_mounts(mi.data);
  std::string v2_controllers;
  if (auto u = unified_mount(mounts)) v2_controllers = host.read_trimmed(*u + "/cgroup.controllers").value_or("");
  const CgroupLayout layout = locate_cgroups(mounts, v2_controllers);
  h.cpu = layout.cpu;
  h.cpuset = layout.cpuset;
  return h;
}

std::string canonical_cgroup_path(const std::string& path, const std::string& bad) {
  if (path.empty() || path[0] != '/') throw InputError(bad + "cgroup path '" + path + "' must start with '/'");
  if (path.find('\0') != std::string::npos) throw InputError(bad + "cgroup path contains NUL");
  if (path.size() > 1024) throw InputError(bad + "cgroup path is longer than 1024 bytes");
  std::string canon;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    const std::string c = path.substr(i, j - i);
    i = j + 1;
    if (c.empty()) continue;
    if (c == "." || c == "..") throw InputError(bad + "cgroup path '" + path + "' may not contain '" + c + "'");
    if (c.size() > 255) throw InputError(bad + "cgroup path component longer than 255 bytes");
    canon += "/" + c;
  }
  return canon.empty() ? "/" : canon;
}

std::string cgroup_real_path(const Host& host, const std::string& kernel_path) {
  char* r = ::realpath(host.resolve(kernel_path).c_str(), nullptr);
  if (!r) return "";
  std::string s(r);
  std::free(r);
  return s;
}

bool path_inside(const std::string& base, const std::string& path) {
  return !base.empty() && !path.empty() && (path == base || path.rfind(base + "/", 0) == 0);
}

}  // namespace tunectl
