// Fast, depth-limited walk of one cgroup hierarchy: directory names only, no file reads.
#pragma once
#include <string>
#include <vector>

#include "core/host.h"

namespace tunectl {

// Group paths relative to the hierarchy root ("/", "/system.slice", ...) in pre-order, children
// in natural order, so a parent always precedes its children. depth < 0: whole tree; 0: root only.
std::vector<std::string> walk_cgroup_tree(const Host& host, const std::string& mount, int depth);

// "/a/b" -> "/a", "/a" -> "/", "/" -> "" (the root has no parent).
std::string cgroup_parent(const std::string& path);

}  // namespace tunectl
