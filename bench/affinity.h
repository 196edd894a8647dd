// Pins the calling thread to a set of CPUs for a scope and puts the old mask back afterwards,
// so a benchmark run from the CLI or from Python never leaves the caller pinned.
#pragma once
#include <sched.h>

#include <vector>

namespace tunectl::bench {

class ScopedAffinity {
 public:
  // Empty `cpus` (or all-negative) leaves the thread as it is.
  explicit ScopedAffinity(const std::vector<int>& cpus);
  ~ScopedAffinity();
  ScopedAffinity(const ScopedAffinity&) = delete;
  ScopedAffinity& operator=(const ScopedAffinity&) = delete;
  bool pinned() const { return pinned_; }

 private:
  cpu_set_t saved_;
  bool pinned_ = false;
};

// The CPUs this process may run on right now.
std::vector<int> allowed_cpus();

}  // namespace tunectl::bench
