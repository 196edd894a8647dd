// HostDir: reads relative to one directory descriptor; anything unusual goes through Host.
#include "core/host_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace tunectl {
namespace {

constexpr int kAskHost = EXDEV;  // open_entry: "use Host with the full path"

// One component naming an entry of the directory itself.
bool is_entry_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

// One read(2), retried on EINTR: the byte count, or -errno.
ssize_t read_once(int fd, char* buf, size_t size) {
  ssize_t n;
  do {
    n = ::read(fd, buf, size);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}

// The rest of the file, appended to `out`, after a read that filled its buffer.
int read_rest(int fd, std::string& out) {
  std::string rest;
  if (int err = read_all(fd, rest)) return err;
  out += rest;
  return 0;
}

// The kernel returns a live attribute file (a sysfs attribute, /proc/irq/N/*: one value, shown
// at once) whole to a read(2) with room for it; a non-seq_file sysfs read stops at a page, so a
// read of less than a page is the whole file.
constexpr size_t kPage = 4096;
constexpr size_t kReadBuffer = 16384;  // larger than a tree's sysfs files

// The whole file: one read(2) into a stack buffer, and more only when that read returned
// `whole_below` bytes or more (it may not have been the end). Saves read_all's second, empty read.
int read_whole(int fd, size_t whole_below, std::string& out) {
  char buf[kReadBuffer];
  const ssize_t n = read_once(fd, buf, sizeof buf);
  if (n < 0) {
    out.clear();
    return static_cast<int>(-n);
  }
  out.assign(buf, static_cast<size_t>(n));  // keeps the capacity of a reused buffer
  return static_cast<size_t>(n) < whole_below ? 0 : read_rest(fd, out);
}

}  // namespace

HostDir Host::open_dir(const std::string& path) const { return HostDir(*this, path); }

HostDir::HostDir(const Host& host, std::string path) : host_(host), path_(std::move(path)) {
  if (host_.open_fd(path_, dir_flags(), 0, fd_) != 0) fd_.reset();
  list_entry_types();
}

HostDir::HostDir(const Host& host, std::string path, UniqueFd fd)
    : host_(host), path_(std::move(path)), fd_(std::move(fd)) {
  list_entry_types();
}

int HostDir::dir_flags() const { return (host_.is_live() ? O_PATH : O_RDONLY) | O_DIRECTORY; }

void HostDir::list_entry_types() {
  if (!fd_.valid() || host_.is_live()) return;
  alignas(struct dirent64) char buf[8192];
  const ssize_t n = ::getdents64(fd_.get(), buf, sizeof buf);
  if (n > 0) listing_.assign(buf, static_cast<size_t>(n));  // an error lists nothing: fstat decides
}

unsigned char HostDir::listed_type(const std::string& name) const {
  for (size_t at = 0; at + offsetof(struct dirent64, d_name) < listing_.size();) {
    const auto* d = reinterpret_cast<const struct dirent64*>(listing_.data() + at);
    if (d->d_reclen == 0 || at + d->d_reclen > listing_.size()) break;
    if (name == d->d_name) return d->d_type;
    at += d->d_reclen;
  }
  return DT_UNKNOWN;
}

int HostDir::open_entry(const std::string& name, int flags, UniqueFd& out) const {
  if (!fd_.valid() || !is_entry_name(name)) return kAskHost;
  // A tree's links are resolved by Host, inside the tree; O_NOFOLLOW makes one fail with ELOOP
  // (ENOTDIR with O_DIRECTORY) here. The live host follows links as open(2) does.
  const int nofollow = host_.is_live() ? 0 : O_NOFOLLOW;
  out.reset(::openat(fd_.get(), name.c_str(), flags | nofollow | O_CLOEXEC));
  if (out.valid()) return 0;
  const int err = errno;
  if (nofollow && (err == ELOOP || ((flags & O_DIRECTORY) && err == ENOTDIR))) return kAskHost;
  return err;
}

HostDir HostDir::dir(const std::string& name) const {
  UniqueFd fd;
  const int err = open_entry(name, dir_flags(), fd);
  if (err == kAskHost) return HostDir(host_, full(name));
  return HostDir(host_, full(name), std::move(fd));
}

ReadResult HostDir::read(const std::string& name) const {
  ReadResult r;
  read(name, r);
  return r;
}

void HostDir::read(const std::string& name, ReadResult& r) const {
  const bool live = host_.is_live();
  UniqueFd fd;
  int err = open_entry(name, O_RDONLY | (live ? 0 : O_NONBLOCK | O_NOCTTY), fd);
  if (err == kAskHost) {
    r = host_.read(full(name));
    return;
  }
  // The checks of Host::read: a tree holds captured regular files only.
  r.ok = false;
  r.err = 0;
  r.error.clear();
  const bool check = !live && listed_type(name) != DT_REG;
  struct stat st;
  if (err == 0 && check && ::fstat(fd.get(), &st) != 0) err = errno;
  if (err == 0 && check && S_ISDIR(st.st_mode)) err = EISDIR;
  if (err == 0 && check && !S_ISREG(st.st_mode)) {
    r.err = EINVAL;
    r.error = full(name) + ": not a regular file";
    r.data.clear();
    return;
  }
  if (err == 0) err = read_whole(fd.get(), live ? kPage : kReadBuffer, r.data);
  if (err != 0) {
    r.err = err;
    r.error = full(name) + ": " + std::strerror(err);
    r.data.clear();
    return;
  }
  r.ok = true;
}

bool HostDir::exists(const std::string& name) const {
  if (!fd_.valid() || !is_entry_name(name)) return host_.exists(full(name));
  struct stat st;
  if (host_.is_live()) return ::fstatat(fd_.get(), name.c_str(), &st, 0) == 0;
  if (::fstatat(fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  return S_ISLNK(st.st_mode) ? host_.exists(full(name)) : true;
}

bool HostDir::is_read_only(const std::string& name) const {
  if (!fd_.valid() || !is_entry_name(name)) return host_.is_read_only(full(name));
  struct stat st;
  const int flags = host_.is_live() ? 0 : AT_SYMLINK_NOFOLLOW;
  if (::fstatat(fd_.get(), name.c_str(), &st, flags) != 0) return false;
  if (S_ISLNK(st.st_mode)) return host_.is_read_only(full(name));
  return (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0;
}

}  // namespace tunectl
