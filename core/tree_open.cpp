// Confined opens inside a captured tree: openat2(RESOLVE_IN_ROOT), or a user-space walk.
#include "core/tree_open.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <deque>
#include <vector>

namespace tunectl {
namespace {

constexpr int kMaxLinks = 40;  // the kernel's MAXSYMLINKS: one more is ELOOP

std::atomic<TreeResolver> g_resolver{TreeResolver::kAuto};
std::atomic<bool> g_no_openat2{false};  // learned from ENOSYS once

void push_components(std::deque<std::string>& queue, const std::string& path) {
  std::deque<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  queue.insert(queue.begin(), parts.begin(), parts.end());
}

int open_openat2(int root_fd, const std::string& path, int flags, mode_t mode, UniqueFd& out) {
  struct open_how how = {};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;  // openat2 refuses a mode without O_CREAT
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string rel = path.empty() ? "." : path;
  for (int attempt = 0;; ++attempt) {
    const long fd = ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
    if (fd >= 0) {
      out.reset(static_cast<int>(fd));
      return 0;
    }
    // EAGAIN: a rename raced a ".." lookup; the kernel asks for a retry rather than risk an escape.
    if ((errno != EAGAIN && errno != EINTR) || attempt >= 16) return errno;
  }
}

// The link's target, read from an O_PATH|O_NOFOLLOW descriptor of the link itself.
int read_link(int link_fd, std::string& target) {
  char buf[4096];
  const ssize_t n = ::readlinkat(link_fd, "", buf, sizeof buf);
  if (n < 0) return errno;
  if (static_cast<size_t>(n) >= sizeof buf) return ENAMETOOLONG;
  if (n == 0) return ENOENT;
  target.assign(buf, static_cast<size_t>(n));
  return 0;
}

}  // namespace

void set_tree_resolver(TreeResolver r) { g_resolver = r; }
TreeResolver tree_resolver() { return g_resolver; }

int open_in_tree_walk(int root_fd, const std::string& path, int flags, mode_t mode, UniqueFd& out) {
  const bool follow_last = !(flags & O_NOFOLLOW);
  // dirs[0] is the root; every other entry a directory reached inside it. ".." pops (never the root).
  std::vector<UniqueFd> dirs;
  dirs.emplace_back(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!dirs[0].valid()) return errno;
  std::deque<std::string> queue;
  push_components(queue, path);
  int links = 0;
  while (!queue.empty()) {
    const std::string name = queue.front();
    queue.pop_front();
    if (name == ".") continue;
    if (name == "..") {
      if (dirs.size() > 1) dirs.pop_back();
      continue;
    }
    const bool last = queue.empty();
    const int dir = dirs.back().get();
    int last_err = 0;
    if (last) {
      // O_NOFOLLOW always: a link here is followed below, by this walk, never by the kernel.
      UniqueFd fd(::openat(dir, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode));
      last_err = fd.valid() ? 0 : errno;
      struct stat st;
      const bool link_itself = fd.valid() && (flags & O_PATH) && ::fstat(fd.get(), &st) == 0 && S_ISLNK(st.st_mode);
      if (fd.valid() && !(link_itself && follow_last)) {
        out = std::move(fd);
        return 0;
      }
      // A link meets O_NOFOLLOW as ELOOP, or as ENOTDIR with O_DIRECTORY (O_PATH opens it: above).
      if (!fd.valid() && (!follow_last || (last_err != ELOOP && last_err != ENOTDIR))) return last_err;
    }
    UniqueFd fd(::openat(dir, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return errno;
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return errno;
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxLinks) return ELOOP;
      std::string target;
      if (int err = read_link(fd.get(), target)) return err;
      if (target[0] == '/') dirs.resize(1);  // absolute: from the tree's root, as RESOLVE_IN_ROOT does
      push_components(queue, target);
      continue;
    }
    if (last) return last_err != 0 ? last_err : ELOOP;  // no link after all (or no longer: a race)
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    dirs.push_back(std::move(fd));
  }
  // The path named a directory reached by ".", ".." or links (or the root itself).
  UniqueFd fd(::openat(dirs.back().get(), ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC, mode));
  if (!fd.valid()) return errno;
  out = std::move(fd);
  return 0;
}

int open_in_tree(int root_fd, const std::string& path, int flags, mode_t mode, UniqueFd& out) {
  const TreeResolver r = g_resolver;
  if (r == TreeResolver::kWalk || (r == TreeResolver::kAuto && g_no_openat2)) {
    return open_in_tree_walk(root_fd, path, flags, mode, out);
  }
  const int err = open_openat2(root_fd, path, flags, mode, out);
  if (r != TreeResolver::kAuto) return err;
  if (err == ENOSYS) g_no_openat2 = true;
  // Some container seccomp filters answer an unknown syscall with EPERM: ask the walk (a genuine
  // EPERM comes back from it too), without giving up on openat2 for later calls.
  if (err == ENOSYS || err == EPERM) return open_in_tree_walk(root_fd, path, flags, mode, out);
  return err;
}

}  // namespace tunectl
