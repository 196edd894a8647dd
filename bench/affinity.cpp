#include "bench/affinity.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "core/errors.h"

namespace tunectl::bench {

ScopedAffinity::ScopedAffinity(const std::vector<int>& cpus) {
  cpu_set_t want;
  CPU_ZERO(&want);
  bool any = false;
  for (int c : cpus)
    if (c >= 0 && c < CPU_SETSIZE) {
      CPU_SET(c, &want);
      any = true;
    }
  if (!any) return;
  if (::sched_getaffinity(0, sizeof saved_, &saved_) != 0)
    throw Error(std::string("sched_getaffinity: ") + std::strerror(errno));
  if (::sched_setaffinity(0, sizeof want, &want) != 0)
    throw InputError("cannot pin to CPU(s) " + std::to_string(cpus.front()) + "...: " + std::strerror(errno));
  pinned_ = true;
}

ScopedAffinity::~ScopedAffinity() {
  if (pinned_) ::sched_setaffinity(0, sizeof saved_, &saved_);
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  std::vector<int> out;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

}  // namespace tunectl::bench
