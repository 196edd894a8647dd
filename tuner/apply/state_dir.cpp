// Where state lives, and the safety rule every directory of it must pass before it is used.
#include "tuner/apply/state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/errors.h"

namespace tunectl {

constexpr const char* kLiveStateDir = "/var/lib/tunectl";

std::string default_state_dir(const std::string& canonical_root) {
  if (canonical_root == "/") return kLiveStateDir;
  // FNV-1a: a stable, dependency-free key; the name part keeps the directory readable.
  unsigned long long h = 1469598103934665603ULL;
  for (unsigned char c : canonical_root) h = (h ^ c) * 1099511628211ULL;
  std::string name = canonical_root.substr(canonical_root.find_last_of('/') + 1);
  for (char& c : name)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  char hex[20];
  std::snprintf(hex, sizeof hex, "%016llx", h);
  return std::string(kLiveStateDir) + "/roots/" + name + "-" + hex;
}

std::string state_dir_for(const std::string& root, const std::optional<std::string>& state_dir) {
  // The root is checked even when the state dir is given: a --root that is no tree (or the live /
  // in disguise) is refused by every verb, not only by those that touch it.
  const std::string canonical = canonical_root(root);
  return state_dir ? *state_dir : default_state_dir(canonical);
}

void require_write_permission(const Host& host) {
  if (host.is_live() && ::geteuid() != 0) throw NotPermitted("needs root (try sudo); nothing was written");
}

namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  const std::string msg = what + ": " + std::strerror(err);
  if (err == EACCES || err == EPERM || err == EROFS) throw NotPermitted(msg);
  throw TransactionError(msg);
}

std::string mode_text(mode_t mode) {
  char m[8];
  std::snprintf(m, sizeof m, "%04o", static_cast<unsigned>(mode & 07777));
  return m;
}

// Opens `name` under `at` as a directory, never following a final symlink, then checks it.
UniqueFd open_checked(int at, const std::string& name, const std::string& shown) {
  UniqueFd fd(::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    struct stat st;
    if (err == ENOENT) return fd;
    if (::fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
      throw NotPermitted("state dir " + shown + " is a symlink; refusing to use it (use the directory itself)");
    if (err == ENOTDIR) throw TransactionError("state dir " + shown + ": not a directory");
    fail("state dir " + shown, err);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) fail("state dir " + shown, errno);
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    throw NotPermitted("state dir " + shown + " is owned by uid " + std::to_string(st.st_uid) +
                       ", not by you or root; refusing to use it");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    throw NotPermitted("state dir " + shown + " is writable by group or others (mode " + mode_text(st.st_mode) +
                       "); refusing to use it (chmod go-w)");
  return fd;
}

std::string strip_trailing_slashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();  // "dir/" would follow a symlink "dir"
  return s;
}

}  // namespace

UniqueFd open_state_dir(const std::string& path, bool create) {
  const std::string p = strip_trailing_slashes(path);
  UniqueFd fd = open_checked(AT_FDCWD, p, p);
  if (fd.valid() || !create) return fd;
  const std::filesystem::path parent = std::filesystem::path(p).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) fail("cannot create state dir " + p, ec.value());
  // 0700: previous bytes of kernel settings are root's business only.
  if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) fail("cannot create state dir " + p, errno);
  fd = open_checked(AT_FDCWD, p, p);
  if (!fd.valid()) fail("cannot create state dir " + p, ENOENT);
  return fd;
}

UniqueFd open_state_subdir(int dir_fd, const std::string& dir_path, const std::string& name, bool create) {
  const std::string shown = dir_path + "/" + name;
  UniqueFd fd = open_checked(dir_fd, name, shown);
  if (fd.valid() || !create) return fd;
  if (::mkdirat(dir_fd, name.c_str(), 0700) != 0 && errno != EEXIST) fail("cannot create " + shown, errno);
  fd = open_checked(dir_fd, name, shown);
  if (!fd.valid()) fail("cannot create " + shown, ENOENT);
  return fd;
}

}  // namespace tunectl
