// HostDir: reads relative to one directory descriptor; anything unusual goes through Host.
#include "core/host_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tunectl {
namespace {

constexpr int kAskHost = EXDEV;  // open_entry: "use Host with the full path"

// One component naming an entry of the directory itself.
bool is_entry_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

// Everything `fd` yields until EOF. A captured file whose size is known is read with one read(2)
// (a short read of a regular file is its end), saving the second, empty read of read_all.
int read_to_end(int fd, const struct stat* st, std::string& out) {
  if (!st || !S_ISREG(st->st_mode) || st->st_size <= 0 || st->st_size > (1 << 20)) return read_all(fd, out);
  const size_t want = static_cast<size_t>(st->st_size) + 1;
  out.resize(want);  // keeps the capacity of a reused buffer
  ssize_t n;
  do {
    n = ::read(fd, out.data(), want);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    out.clear();
    return errno;
  }
  out.resize(static_cast<size_t>(n));
  if (static_cast<size_t>(n) < want) return 0;
  std::string rest;  // it grew since fstat: read on
  if (int err = read_all(fd, rest)) return err;
  out += rest;
  return 0;
}

}  // namespace

HostDir Host::open_dir(const std::string& path) const { return HostDir(*this, path); }

HostDir::HostDir(const Host& host, std::string path) : host_(host), path_(std::move(path)) {
  if (host_.open_fd(path_, O_PATH | O_DIRECTORY, 0, fd_) != 0) fd_.reset();
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
  const int err = open_entry(name, O_PATH | O_DIRECTORY, fd);
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
  struct stat st;
  if (err == 0 && !live && ::fstat(fd.get(), &st) != 0) err = errno;
  if (err == 0 && !live && S_ISDIR(st.st_mode)) err = EISDIR;
  if (err == 0 && !live && !S_ISREG(st.st_mode)) {
    r.err = EINVAL;
    r.error = full(name) + ": not a regular file";
    r.data.clear();
    return;
  }
  if (err == 0) err = read_to_end(fd.get(), live ? nullptr : &st, r.data);
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
