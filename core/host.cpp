// Host: live paths as given; captured trees only through descriptors confined to their root.
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
#include "core/tree_open.h"

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

// What a descriptor refers to now, as an absolute path.
std::string fd_path(int fd) {
  char buf[PATH_MAX];
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return "";
  return std::string(buf, static_cast<size_t>(n));
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

[[noreturn]] void refuse_disguised_live_root(const std::string& root) {
  throw InputError("root '" + root + "' is the live host's / under another name (a root other than / names a " +
                   "captured tree; for the live host use exactly /)");
}

}  // namespace

bool is_live_spelling(const std::string& root) { return root.empty() || root == "/"; }

Host::Host(std::string root) : root_(is_live_spelling(root) ? "/" : strip_trailing_slashes(root)) {
  live_ = is_live_spelling(root);
  if (live_) return;
  auto tree = std::make_shared<Tree>();
  tree->fd.reset(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  struct stat st, live;
  if (!tree->fd.valid()) {
    tree->err = errno;
  } else {
    if (::fstat(tree->fd.get(), &st) == 0 && ::stat("/", &live) == 0 && same_file(st, live))
      refuse_disguised_live_root(root);
    tree->real = fd_path(tree->fd.get());  // "" without /proc: only resolve() needs it
  }
  tree_ = std::move(tree);
}

int Host::open_fd(const std::string& path, int flags, mode_t mode, UniqueFd& out) const {
  if (live_) {
    out.reset(::open(path.c_str(), flags | O_CLOEXEC, mode));
    return out.valid() ? 0 : errno;
  }
  if (tree_->err != 0) return tree_->err;
  return open_in_tree(tree_->fd.get(), path, flags, mode, out);
}

int Host::open_parent(const std::string& path, UniqueFd& dir, std::string& name) const {
  std::vector<std::string> parts = split_path(path);
  if (parts.empty() || parts.back() == "." || parts.back() == "..") return EINVAL;
  name = parts.back();
  parts.pop_back();
  std::string parent;
  for (const auto& p : parts) parent += "/" + p;
  return open_fd(parent.empty() ? "/" : parent, O_PATH | O_DIRECTORY, 0, dir);
}

// The link-free kernel path the tree's kernel-side resolution reaches; a missing tail is kept.
int Host::tree_kernel_path(const std::string& path, std::string& out) const {
  UniqueFd fd;
  const int err = open_fd(path, O_PATH, 0, fd);
  if (err == 0) {
    const std::string real = fd_path(fd.get());
    const std::string& base = tree_->real;
    if (real.empty() || base.empty()) return ENOENT;  // no /proc to ask
    if (real.compare(0, base.size(), base) != 0 || (real.size() > base.size() && real[base.size()] != '/'))
      return EXDEV;  // moved out of the tree since it was opened: no path to give
    out = real.substr(base.size());
    return 0;
  }
  if (err != ENOENT) return err;
  const std::vector<std::string> parts = split_path(path);
  if (parts.empty() || parts.back() == "." || parts.back() == "..") return err;
  std::string parent;
  for (size_t i = 0; i + 1 < parts.size(); ++i) parent += "/" + parts[i];
  if (int perr = tree_kernel_path(parent, out)) return perr;
  out += "/" + parts.back();
  return 0;
}

std::string Host::resolve(const std::string& path) const {
  if (live_) return path;
  std::string kernel;
  if (tree_kernel_path(path, kernel) != 0) return "";
  return root_ + kernel;
}

ReadResult Host::read(const std::string& path) const {
  ReadResult r;
  UniqueFd fd;
  // A tree holds captured regular files: a FIFO or device there is refused, not opened for reading.
  r.err = open_fd(path, O_RDONLY | (live_ ? 0 : O_NONBLOCK | O_NOCTTY), 0, fd);
  struct stat st;
  if (r.err == 0 && !live_ && ::fstat(fd.get(), &st) != 0) r.err = errno;
  if (r.err == 0 && !live_ && S_ISDIR(st.st_mode)) r.err = EISDIR;  // what read(2) would say
  if (r.err == 0 && !live_ && !S_ISREG(st.st_mode)) {
    r.err = EINVAL;
    r.error = path + ": not a regular file";
    return r;
  }
  // procfs/sysfs report size 0 or 4096 whatever the contents: no type or size check, read to EOF.
  if (r.err == 0) r.err = read_all(fd.get(), r.data);
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
  if (live_) return ::stat(path.c_str(), &st) == 0;
  UniqueFd fd;
  return open_fd(path, O_PATH, 0, fd) == 0;
}

bool Host::is_dir(const std::string& path) const {
  struct stat st;
  if (live_) return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  UniqueFd fd;
  return open_fd(path, O_PATH, 0, fd) == 0 && ::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> Host::list(const std::string& path) const {
  std::vector<std::string> names;
  UniqueFd fd;
  if (open_fd(path, O_RDONLY | O_DIRECTORY, 0, fd) != 0) return names;
  DIR* d = ::fdopendir(fd.get());
  if (!d) return names;
  fd.release();  // the DIR owns it now
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end(), natural_less);
  return names;
}

std::optional<std::string> Host::readlink(const std::string& path) const {
  char buf[4096];
  ssize_t n;
  if (live_) {
    n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  } else {
    // Resolve the parent, not the link itself.
    UniqueFd dir;
    std::string name;
    if (open_parent(path, dir, name) != 0) return std::nullopt;
    n = ::readlinkat(dir.get(), name.c_str(), buf, sizeof buf - 1);
  }
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

bool Host::is_read_only(const std::string& path) const {
  struct stat st;
  if (live_) {
    if (::stat(path.c_str(), &st) != 0) return false;
  } else {
    UniqueFd fd;
    if (open_fd(path, O_PATH, 0, fd) != 0 || ::fstat(fd.get(), &st) != 0) return false;
  }
  return (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0;
}

int Host::write(const std::string& path, const std::string& bytes) const {
  UniqueFd fd;
  if (int err = open_fd(path, O_WRONLY | (live_ ? 0 : O_NONBLOCK | O_NOCTTY), 0, fd)) return err;
  if (!live_) {
    // Checked on the opened file itself, so what is checked is what is written. Root bypasses
    // file modes on ordinary filesystems; a captured tree must refuse like sysfs.
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return errno;
    if (!S_ISREG(st.st_mode)) return EINVAL;  // a FIFO or device in a tree is no knob
    if ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0) return EACCES;
    if (::ftruncate(fd.get(), 0) != 0) return errno;
  }
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
  if (live_) return ::mkdir(path.c_str(), 0755) == 0 ? 0 : errno;
  UniqueFd dir;
  std::string name;
  if (int err = open_parent(path, dir, name)) return err;
  return ::mkdirat(dir.get(), name.c_str(), 0755) == 0 ? 0 : errno;
}

int Host::remove_dir(const std::string& path) const {
  if (live_) return ::rmdir(path.c_str()) == 0 ? 0 : errno;
  UniqueFd dir;
  std::string name;
  if (int err = open_parent(path, dir, name)) return err;
  return ::unlinkat(dir.get(), name.c_str(), AT_REMOVEDIR) == 0 ? 0 : errno;
}

int Host::create_file(const std::string& path, const std::string& bytes) const {
  if (live_) return EPERM;  // the kernel makes its own files
  UniqueFd fd;
  // O_EXCL: an existing name, a symlink too, is EEXIST; nothing is followed or replaced.
  if (int err = open_fd(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644, fd)) return err;
  const ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
  if (n < 0) return errno;
  return static_cast<size_t>(n) == bytes.size() ? 0 : EIO;
}

int Host::remove_file(const std::string& path) const {
  if (live_) return EPERM;
  UniqueFd dir;
  std::string name;
  if (int err = open_parent(path, dir, name)) return err;
  return ::unlinkat(dir.get(), name.c_str(), 0) == 0 ? 0 : errno;
}

namespace {

// A name for a temporary entry next to `name` in a directory: never an existing one (the caller
// creates it exclusively), hidden, and removed on failure.
std::string temp_name(const std::string& name) {
  static unsigned counter = 0;
  return "." + name + ".tunectl-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// Renames `tmp` over `name` inside `dir` and makes the rename durable; removes `tmp` on failure.
int commit_entry(int dir, const std::string& tmp, const std::string& name) {
  if (::renameat(dir, tmp.c_str(), dir, name.c_str()) != 0) {
    const int err = errno;
    ::unlinkat(dir, tmp.c_str(), 0);
    return err;
  }
  UniqueFd d(::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d.valid() || ::fsync(d.get()) != 0) return errno;
  return 0;
}

}  // namespace

int Host::replace_file(const std::string& path, const std::string& bytes) const {
  UniqueFd dir;
  std::string name;
  if (int err = open_parent(path, dir, name)) return err;
  const std::string tmp = temp_name(name);
  UniqueFd fd(::openat(dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno;
  int err = ::fchmod(fd.get(), 0644) == 0 ? 0 : errno;  // whatever the umask: readers need not be root
  for (size_t done = 0; err == 0 && done < bytes.size();) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    else done += static_cast<size_t>(n);
  }
  if (err == 0 && ::fsync(fd.get()) != 0) err = errno;
  if (::close(fd.release()) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    return err;
  }
  return commit_entry(dir.get(), tmp, name);
}

int Host::replace_symlink(const std::string& target, const std::string& path) const {
  UniqueFd dir;
  std::string name;
  if (int err = open_parent(path, dir, name)) return err;
  const std::string tmp = temp_name(name);
  if (::symlinkat(target.c_str(), dir.get(), tmp.c_str()) != 0) return errno;
  return commit_entry(dir.get(), tmp, name);
}

int Host::remove_entry(const std::string& path) const {
  UniqueFd dir;
  std::string name;
  if (int err = open_parent(path, dir, name)) return err;
  return ::unlinkat(dir.get(), name.c_str(), 0) == 0 ? 0 : errno;
}

Host host_for_root(const std::string& root) {
  Host host(root);
  if (!host.is_dir("/")) throw InputError("root '" + root + "' is not a directory");
  return host;
}

std::string canonical_root(const std::string& root) {
  if (is_live_spelling(root)) return "/";
  char buf[PATH_MAX];
  struct stat st;
  if (!::realpath(root.c_str(), buf) || ::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
    throw InputError("root '" + root + "' is not a directory");
  struct stat live;
  if (std::strcmp(buf, "/") == 0 || (::stat("/", &live) == 0 && same_file(st, live))) refuse_disguised_live_root(root);
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
