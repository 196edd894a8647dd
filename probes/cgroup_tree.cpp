#include "probes/cgroup_tree.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace tunectl {
namespace {

// Subdirectory names of `real` (a resolved path). Uses d_type so a tree of thousands of groups
// costs one readdir per group; symlinks are skipped (cgroupfs has none, captured trees must not loop).
std::vector<std::string> subdirs(const std::string& real) {
  std::vector<std::string> names;
  DIR* d = ::opendir(real.c_str());
  if (!d) return names;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    bool dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      dir = ::lstat((real + "/" + e->d_name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (dir) names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end(), natural_less);
  return names;
}

}  // namespace

std::vector<std::string> walk_cgroup_tree(const Host& host, const std::string& mount, int depth) {
  std::vector<std::string> out;
  const std::string root = host.resolve(mount);
  if (!host.is_dir(mount)) return out;
  std::vector<std::pair<std::string, int>> stack{{"/", 0}};
  while (!stack.empty()) {
    auto [path, level] = stack.back();
    stack.pop_back();
    out.push_back(path);
    if (depth >= 0 && level >= depth) continue;
    const std::string prefix = path == "/" ? "/" : path + "/";
    auto children = subdirs(root + (path == "/" ? "" : path));
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.emplace_back(prefix + *it, level + 1);
  }
  return out;
}

std::string cgroup_parent(const std::string& path) {
  if (path == "/" || path.empty()) return "";
  const auto slash = path.find_last_of('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace tunectl
