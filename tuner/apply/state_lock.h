// One apply or rollback at a time per state dir: an exclusive flock(2) on <state>/lock, held for
// the object's lifetime. The kernel drops a flock when its holder dies, so a crash never leaves
// a stale lock behind (the open transaction in the journal is what a crash leaves).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/unique_fd.h"

namespace tunectl {

class StateLock {
 public:
  // Takes the lock. By default without waiting: a second apply is refused at once, naming the
  // holder's pid, rather than queueing behind a change it has not seen the plan of. `wait_seconds`
  // (--wait[=S]) polls for that long instead (infinity: until the holder finishes); the caller
  // plans only after it has the lock, so the plan is still of the host it changes.
  // `create`: make the state dir (0700, parents too) when missing; otherwise a missing dir is a
  // TransactionError ("no transactions recorded"). Throws NotPermitted when the dir cannot be
  // created or opened (EACCES, EPERM, EROFS), LockHeld (exit 5) when the lock stays held.
  static StateLock acquire(const std::string& state_dir, bool create, std::optional<double> wait_seconds = std::nullopt);

  StateLock(StateLock&&) noexcept = default;
  StateLock& operator=(StateLock&&) = delete;

 private:
  explicit StateLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing it releases the flock
};

// The next transaction sequence number of `state_dir`, kept in <state>/seq (a plain file opened
// like the lock): one more than the larger of the number stored there and `at_least` (the highest
// seq of the records, so a lost or reset file cannot hand out a number twice), stored durably
// before it is returned. The caller holds the StateLock. Throws like StateLock::acquire.
uint64_t take_next_seq(const std::string& state_dir, uint64_t at_least);

}  // namespace tunectl
