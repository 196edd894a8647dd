// The state lock: flock on <state>/lock, opened only inside a checked state dir.
#include "tuner/apply/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <thread>

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

// `name` in the checked state dir `dir_fd`, created 0600 when missing. O_NOFOLLOW: a symlink
// (dangling or not) is refused, never truncated through or created.
UniqueFd open_plain_file(int dir_fd, const std::string& state_dir, const char* name) {
  const std::string path = state_dir + "/" + name;
  UniqueFd owned(::openat(dir_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  if (!owned.valid() && errno == ELOOP) throw NotPermitted(path + " is a symlink; refusing to use it");
  if (!owned.valid()) fail_dir("cannot open " + path, errno);
  // A hard link to another file would have that file's contents replaced.
  struct stat st;
  if (::fstat(owned.get(), &st) != 0) fail_dir("cannot stat " + path, errno);
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
    throw NotPermitted(path + " is not a plain file (a device, FIFO or hard link); refusing to use it");
  return owned;
}

}  // namespace

StateLock StateLock::acquire(const std::string& state_dir, bool create, std::optional<double> wait_seconds) {
  const UniqueFd dir = open_state_dir(state_dir, create);
  if (!dir.valid()) throw TransactionError("no transactions recorded in " + state_dir);
  UniqueFd owned = open_plain_file(dir.get(), state_dir, "lock");
  const int fd = owned.get();
  StateLock lock(std::move(owned));  // closes fd on every path below
  // Polling, not a blocking flock: a deadline needs no signal handler, and a SIGINT still ends
  // the process at once (nothing is written while waiting).
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) fail_dir("cannot lock " + state_dir + "/lock", errno);
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!wait_seconds || waited >= *wait_seconds) {
      const std::string after = wait_seconds ? " after waiting " + std::to_string(std::lround(waited)) + " s" : "";
      throw LockHeld("another tunectl apply or rollback (pid " + holder_pid(fd) + ") holds the lock on " + state_dir +
                     after + "; nothing was written — retry when it has finished, or pass --wait[=SECONDS]");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Advisory, for the message above; the flock is the lock.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
    (void)written;  // a missing pid only makes a refusal message say "unknown"
  }
  return lock;
}

uint64_t take_next_seq(const std::string& state_dir, uint64_t at_least) {
  const UniqueFd dir = open_state_dir(state_dir, false);
  if (!dir.valid()) throw TransactionError("no state dir " + state_dir);
  const UniqueFd fd = open_plain_file(dir.get(), state_dir, "seq");
  char buf[32] = {};
  errno = 0;
  const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
  // Unreadable or not a number (a torn write): the records' highest seq still keeps the order.
  const unsigned long long stored = n > 0 ? std::strtoull(buf, nullptr, 10) : 0;
  const uint64_t next = std::max<uint64_t>(stored, at_least) + 1;
  const std::string text = std::to_string(next) + "\n";
  if (::pwrite(fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
      ::ftruncate(fd.get(), static_cast<off_t>(text.size())) != 0 || ::fdatasync(fd.get()) != 0) {
    const int err = errno ? errno : EIO;
    if (err == ENOSPC || err == EDQUOT)  // taken before the journal: nothing was written yet
      throw ApplyError("cannot write " + state_dir + "/seq: " + std::strerror(err) + "; nothing was written");
    fail_dir("cannot write " + state_dir + "/seq", err);
  }
  return next;
}

}  // namespace tunectl
