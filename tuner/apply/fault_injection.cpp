// The crash-safety test switch (fault_injection.h); TUNECTL_TEST_SWITCHES is defined for this file
// only in test builds (CMakeLists.txt).
#include "tuner/apply/fault_injection.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/errors.h"

namespace tunectl {
namespace {

const char* action_name(FaultInjector::Action a) {
  switch (a) {
    case FaultInjector::Action::kKill: return "kill";
    case FaultInjector::Action::kExit: return "exit";
    case FaultInjector::Action::kPause: return "pause";
    case FaultInjector::Action::kStop: return "stop";
  }
  return "kill";
}

}  // namespace

#ifdef TUNECTL_TEST_SWITCHES
bool FaultInjector::compiled_in() { return true; }

FaultInjector FaultInjector::from_env() {
  FaultInjector f;
  const char* k = ::secure_getenv("TUNECTL_FAULT_AFTER_WRITES");
  if (!k || !*k) return f;
  char* end = nullptr;
  long n = std::strtol(k, &end, 10);
  if (*end != '\0' || n < 1)
    throw InputError(std::string("TUNECTL_FAULT_AFTER_WRITES: expected a positive integer, got '") + k + "'");
  f.after_ = n;
  const char* a = ::secure_getenv("TUNECTL_FAULT_ACTION");
  const std::string action = a ? a : "kill";
  for (Action candidate : {Action::kKill, Action::kExit, Action::kPause, Action::kStop})
    if (action == action_name(candidate)) {
      f.action_ = candidate;
      return f;
    }
  throw InputError("TUNECTL_FAULT_ACTION: expected kill, exit, pause or stop, got '" + action + "'");
}
#else
bool FaultInjector::compiled_in() { return false; }

// Not a test build: a stale export (sudo -E, a unit's Environment=, a CI job) must never make a
// real apply kill itself half-way, so the variables are not even read.
FaultInjector FaultInjector::from_env() { return FaultInjector(); }
#endif

json FaultInjector::describe() const {
  if (!armed()) return nullptr;
  return {{"after_writes", after_}, {"action", action_name(action_)}};
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
    case Action::kStop:
      std::fprintf(stderr, "fault injection: stopped after write %ld (pid %d)\n", writes_, static_cast<int>(::getpid()));
      std::fflush(stderr);
      ::raise(SIGSTOP);
      break;
  }
}

}  // namespace tunectl
