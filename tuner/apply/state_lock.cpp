// The state lock: flock on <state>/lock, opened only inside a checked state dir.
#include "tuner/apply/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.h"
#include "tuner/apply/state_dir.h"

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
  const UniqueFd dir = open_state_dir(state_dir, create);
  if (!dir.valid()) throw TransactionError("no transactions recorded in " + state_dir);
  const std::string path = state_dir + "/lock";
  // O_NOFOLLOW: a `lock` symlink (dangling or not) is refused, never truncated through or created.
  UniqueFd owned(::openat(dir.get(), "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  if (!owned.valid() && errno == ELOOP) throw NotPermitted(path + " is a symlink; refusing to use it");
  if (!owned.valid()) fail_dir("cannot open " + path, errno);
  // A hard link to another file would have that file's contents replaced by our pid.
  struct stat st;
  if (::fstat(owned.get(), &st) != 0) fail_dir("cannot stat " + path, errno);
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
    throw NotPermitted(path + " is not a plain file (a device, FIFO or hard link); refusing to use it");
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
