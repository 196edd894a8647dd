// Opening a path inside a captured host tree so that nothing — a symlink chain, an absolute or ".."
// link, a file swapped for a link between two calls — can make it open a file outside the tree.
// The kernel resolves (openat2 with RESOLVE_IN_ROOT); on kernels without openat2 (< 5.6) a
// component-wise walk with O_NOFOLLOW does the same in user space. Both follow the kernel's own
// rules: absolute link targets start again at the tree's root, ".." stops at it, and more than 40
// links is ELOOP — an error, never the unresolved path.
#pragma once
#include <sys/types.h>

#include <string>

#include "core/unique_fd.h"

namespace tunectl {

// How tree paths are resolved. kAuto: openat2, and the walk once the kernel says ENOSYS.
enum class TreeResolver { kAuto, kOpenat2, kWalk };

// Test seam: forces one resolver for the whole process (kAuto restores the default).
void set_tree_resolver(TreeResolver r);
TreeResolver tree_resolver();

// Opens `path` ("/proc/interrupts"; relative paths are taken from the root too) under the
// directory `root_fd` with open(2) `flags` and `mode` (used with O_CREAT). O_CLOEXEC is added.
// Returns 0 and sets `out`, or an errno.
int open_in_tree(int root_fd, const std::string& path, int flags, mode_t mode, UniqueFd& out);

// The walk itself (what kAuto falls back to), exposed so tests run the same cases through both.
int open_in_tree_walk(int root_fd, const std::string& path, int flags, mode_t mode, UniqueFd& out);

}  // namespace tunectl
