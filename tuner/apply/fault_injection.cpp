#include "tuner/apply/fault_injection.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/errors.h"

namespace tunectl {

FaultInjector FaultInjector::from_env() {
  FaultInjector f;
  const char* k = std::getenv("TUNECTL_FAULT_AFTER_WRITES");
  if (!k || !*k) return f;
  char* end = nullptr;
  long n = std::strtol(k, &end, 10);
  if (*end != '\0' || n < 1)
    throw InputError(std::string("TUNECTL_FAULT_AFTER_WRITES: expected a positive integer, got '") + k + "'");
  f.after_ = n;
  const std::string action = std::getenv("TUNECTL_FAULT_ACTION") ? std::getenv("TUNECTL_FAULT_ACTION") : "kill";
  if (action == "kill")
    f.action_ = Action::kKill;
  else if (action == "exit")
    f.action_ = Action::kExit;
  else if (action == "pause")
    f.action_ = Action::kPause;
  else
    throw InputError("TUNECTL_FAULT_ACTION: expected kill, exit or pause, got '" + action + "'");
  return f;
}

void FaultInjector::after_write() {
  if (after_ == 0 || ++writes_ != after_) return;
  switch (action_) {
    case Action::kKill:
      ::raise(SIGKILL);
      break;
    case Action::kExit:
      ::_exit(86);
    case Action::kPause:
      std::fprintf(stderr, "fault injection: paused after write %ld (pid %d)\n", writes_, static_cast<int>(::getpid()));
      std::fflush(stderr);
      for (;;) ::pause();
  }
}

}  // namespace tunectl
