#include "tuner/apply/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/errors.h"

namespace tunectl {
namespace {

[[noreturn]] void fail_dir(const std::string& what, int err) {
  const std::string msg = what + ": " + std::strerror(err);
  if (err == EACCES || err == EPERM || err == EROFS) throw NotPermitted(msg);
  throw TransactionError(msg);
}

std::string holder_pid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown" : s;
}

}  // namespace

StateLock StateLock::acquire(const std::string& state_dir, bool create) {
  struct stat st;
  if (::stat(state_dir.c_str(), &st) != 0) {
    if (errno != ENOENT) fail_dir("state dir " + state_dir, errno);
    if (!create) throw TransactionError("no transactions recorded in " + state_dir);
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) fail_dir("cannot create state dir " + state_dir, ec.value());
    ::chmod(state_dir.c_str(), 0700);  // previous bytes of kernel settings: root's business only
  } else if (!S_ISDIR(st.st_mode)) {
    throw TransactionError("state dir " + state_dir + ": not a directory");
  }
  const std::string path = state_dir + "/lock";
  UniqueFd owned(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!owned.valid()) fail_dir("cannot open " + path, errno);
  const int fd = owned.get();
  StateLock lock(std::move(owned));  // closes fd on every path below
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == EWOULDBLOCK)
      throw TransactionError("another tunectl apply or rollback (pid " + holder_pid(fd) + ") holds the lock on " +
                             state_dir + "; nothing was written — retry when it has finished");
    fail_dir("cannot lock " + path, errno);
  }
  // Advisory, for the message above; the flock is the lock.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
    (void)written;  // a missing pid only makes a refusal message say "unknown"
  }
  return lock;
}

}  // namespace tunectl
