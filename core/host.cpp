#include "core/host.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstring>

#include "core/errors.h"
#include "core/unique_fd.h"

namespace tunectl {
namespace {

std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    if (j > i) parts.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

std::string strip_trailing_slashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string errmsg(const std::string& path, int err) {
  return path + ": " + std::strerror(err);
}

}  // namespace

Host::Host(std::string root) : root_(strip_trailing_slashes(root.empty() ? "/" : root)) {
  live_ = (root_ == "/");
}

std::string Host::resolve(const std::string& path) const {
  if (live_) return path;
  return root_ + resolve_in_tree(path, 0);
}

// Walks `path` component by component inside the tree: symlinks are followed (absolute targets
// re-rooted), ".." never climbs above the root. Returns a link-free kernel path ("" is the root).
std::string Host::resolve_in_tree(const std::string& path, int depth) const {
  std::string cur;
  for (const auto& part : split_path(path)) {
    if (part == ".") continue;
    if (part == "..") {
      cur.erase(std::min(cur.size(), cur.find_last_of('/') == std::string::npos ? 0 : cur.find_last_of('/')));
      continue;
    }
    const std::string next = cur + "/" + part;
    {
      std::lock_guard<std::mutex> lock(cache_->mu);
      auto it = cache_->resolved.find(next);
      if (it != cache_->resolved.end()) {
        cur = it->second;
        continue;
      }
    }
    std::string resolved = next;
    struct stat st;
    const std::string real = root_ + next;
    if (depth < 40 && ::lstat(real.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = ::readlink(real.c_str(), buf, sizeof buf - 1);
      if (n > 0) {
        std::string target(buf, static_cast<size_t>(n));
        resolved = resolve_in_tree(target[0] == '/' ? target : cur + "/" + target, depth + 1);
      }
    }
    std::lock_guard<std::mutex> lock(cache_->mu);
    cache_->resolved.emplace(next, resolved);
    cur = resolved;
  }
  return cur;
}

ReadResult Host::read(const std::string& path) const {
  ReadResult r;
  UniqueFd fd(::open(resolve(path).c_str(), O_RDONLY | O_CLOEXEC));
  // procfs/sysfs report size 0 or 4096 whatever the contents: no type or size check, read to EOF.
  r.err = fd.valid() ? read_all(fd.get(), r.data) : errno;
  if (r.err != 0) {
    r.error = errmsg(path, r.err);
    r.data.clear();
    return r;
  }
  r.ok = true;
  return r;
}

std::optional<std::string> Host::read_trimmed(const std::string& path) const {
  ReadResult r = read(path);
  if (!r.ok) return std::nullopt;
  std::string s = std::move(r.data);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\0'))
    s.pop_back();
  return s;
}

bool Host::exists(const std::string& path) const {
  struct stat st;
  return ::stat(resolve(path).c_str(), &st) == 0;
}

bool Host::is_dir(const std::string& path) const {
  struct stat st;
  return ::stat(resolve(path).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> Host::list(const std::string& path) const {
  std::vector<std::string> names;
  DIR* d = ::opendir(resolve(path).c_str());
  if (!d) return names;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end(), natural_less);
  return names;
}

std::optional<std::string> Host::readlink(const std::string& path) const {
  // Resolve the parent, not the link itself.
  std::string real;
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0)
    real = live_ ? path : root_ + (path[0] == '/' ? "" : "/") + path;
  else
    real = resolve(path.substr(0, slash)) + path.substr(slash);
  char buf[4096];
  ssize_t n = ::readlink(real.c_str(), buf, sizeof buf - 1);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

bool Host::is_read_only(const std::string& path) const {
  struct stat st;
  if (::stat(resolve(path).c_str(), &st) != 0) return false;
  return (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0;
}

int Host::write(const std::string& path, const std::string& bytes) const {
  const std::string real = resolve(path);
  // Root bypasses file modes on ordinary filesystems; a captured tree must refuse like sysfs.
  if (!live_ && is_read_only(path)) return EACCES;
  UniqueFd fd(::open(real.c_str(), O_WRONLY | O_CLOEXEC | (live_ ? 0 : O_TRUNC)));
  if (!fd.valid()) return errno;
  ssize_t n;
  do {
    n = ::write(fd.get(), bytes.data(), bytes.size());
  } while (n < 0 && errno == EINTR);
  int err = 0;
  if (n < 0)
    err = errno;
  else if (static_cast<size_t>(n) != bytes.size())
    err = EIO;  // a short write to a kernel file means the value was not taken whole
  if (::close(fd.release()) != 0 && err == 0) err = errno;  // some kernel files report errors here
  return err;
}

int Host::make_dir(const std::string& path) const {
  return ::mkdir(resolve(path).c_str(), 0755) == 0 ? 0 : errno;
}

int Host::remove_dir(const std::string& path) const {
  return ::rmdir(resolve(path).c_str()) == 0 ? 0 : errno;
}

int Host::create_file(const std::string& path, const std::string& bytes) const {
  if (live_) return EPERM;  // the kernel makes its own files
  UniqueFd fd(::open(resolve(path).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid()) return errno;
  const ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
  if (n < 0) return errno;
  return static_cast<size_t>(n) == bytes.size() ? 0 : EIO;
}

int Host::remove_file(const std::string& path) const {
  if (live_) return EPERM;
  return ::unlink(resolve(path).c_str()) == 0 ? 0 : errno;
}

Host host_for_root(const std::string& root) {
  Host host(root);
  if (!host.is_dir("/")) throw InputError("--root " + root + ": not a directory");
  return host;
}

std::string canonical_root(const std::string& root) {
  char buf[PATH_MAX];
  struct stat st;
  if (!::realpath(root.c_str(), buf) || ::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
    throw InputError("--root " + root + ": not a directory");
  return buf;
}

bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (isdigit(static_cast<unsigned char>(a[i])) && isdigit(static_cast<unsigned char>(b[j]))) {
      size_t ie = i, je = j;
      while (ie < a.size() && isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && isdigit(static_cast<unsigned char>(b[je]))) ++je;
      std::string na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size() - 1));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size() - 1));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return (a.size() - i) < (b.size() - j);
}

}  // namespace tunectl
