#include "probes/cgroup_mounts.h"

#include <algorithm>
#include <sstream>

#include "core/parse.h"

namespace tunectl {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        std::all_of(s.begin() + i + 1, s.begin() + i + 4, [](char c) { return c >= '0' && c <= '7'; })) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

bool under_sys_fs_cgroup(const CgroupMount& m) {
  return m.mount_point == "/sys/fs/cgroup" || m.mount_point.compare(0, 15, "/sys/fs/cgroup/") == 0;
}

// The canonical location (/sys/fs/cgroup...) wins over bind mounts elsewhere (containers, chroots).
const CgroupMount* pick(const std::vector<const CgroupMount*>& candidates) {
  for (const auto* m : candidates)
    if (under_sys_fs_cgroup(*m)) return m;
  return candidates.empty() ? nullptr : candidates.front();
}

}  // namespace

std::vector<CgroupMount> parse_cgroup_mounts(const std::string& mountinfo) {
  std::vector<CgroupMount> mounts;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
    auto f = split_ws(line);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || std::distance(dash, f.end()) < 3) continue;
    const std::string& fstype = *(dash + 1);
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount m;
    m.mount_point = unescape(f[4]);
    m.v2 = fstype == "cgroup2";
    if (std::distance(dash, f.end()) > 3) m.options = split_commas(*(dash + 3));  // may be cut off
    mounts.push_back(std::move(m));
  }
  return mounts;
}

std::optional<std::string> unified_mount(const std::vector<CgroupMount>& mounts) {
  std::vector<const CgroupMount*> v2;
  for (const auto& m : mounts)
    if (m.v2) v2.push_back(&m);
  if (const CgroupMount* u = pick(v2)) return u->mount_point;
  return std::nullopt;
}

CgroupLayout locate_cgroups(const std::vector<CgroupMount>& mounts, const std::string& v2_controllers) {
  CgroupLayout layout;
  std::vector<const CgroupMount*> v2, v1;
  for (const auto& m : mounts) (m.v2 ? v2 : v1).push_back(&m);
  layout.unified_mount = unified_mount(mounts);

  const bool v2_at_root = std::any_of(v2.begin(), v2.end(), [](const CgroupMount* m) {
    return m->mount_point == "/sys/fs/cgroup";
  });
  if (v2_at_root || (v1.empty() && !v2.empty()))
    layout.mode = "unified";
  else if (!v1.empty())
    layout.mode = v2.empty() ? "legacy" : "hybrid";

  const auto v2_list = split_ws(v2_controllers);
  auto home = [&](const std::string& controller) -> std::optional<ControllerHome> {
    if (layout.unified_mount && std::count(v2_list.begin(), v2_list.end(), controller))
      return ControllerHome{"v2", *layout.unified_mount};
    std::vector<const CgroupMount*> carriers;
    for (const auto* m : v1)
      if (std::count(m->options.begin(), m->options.end(), controller)) carriers.push_back(m);
    if (const CgroupMount* m = pick(carriers)) return ControllerHome{"v1", m->mount_point};
    return std::nullopt;
  };
  layout.cpu = home("cpu");
  layout.cpuset = home("cpuset");
  return layout;
}

}  // namespace tunectl
