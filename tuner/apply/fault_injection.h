// Test switch for crash-safety tests, compiled only into test builds (CMake option
// TUNECTL_TEST_SWITCHES; the installed build has it OFF, where the variables below are ignored and
// `tunectl apply --help` does not mention them):
//   TUNECTL_FAULT_AFTER_WRITES=k   the process dies right after the k-th knob write of an apply
//   TUNECTL_FAULT_ACTION=kill      raise(SIGKILL) (default): no destructors, no flush, like a crash
//                        exit      _exit(86)
//                        pause     print "fault injection: paused after write k (pid N)" to stderr
//                                  and sleep until killed, so a test can SIGKILL it from outside
//                                  (or race a second apply against the held lock)
//                        stop      raise(SIGSTOP): the apply goes on after SIGCONT, so a test can
//                                  change the world (fill the disk) half-way through
// Read with secure_getenv (ignored in a setuid process). When armed, the journal header records it
// ("fault_injection"), so a record cut short on purpose says so.
#pragma once
#include "core/json.h"

namespace tunectl {

class FaultInjector {
 public:
  enum class Action { kKill, kExit, kPause, kStop };

  // Whether this build has the switch at all.
  static bool compiled_in();
  // Reads the environment; throws InputError on a malformed value (before anything is written).
  // Without the switch compiled in: always disarmed.
  static FaultInjector from_env();

  bool armed() const { return after_ != 0; }
  // {"after_writes": k, "action": "kill"} when armed, else null.
  json describe() const;

  // Called by the engine right after each knob write; acts at the configured one.
  void after_write();

 private:
  long after_ = 0;  // 0: disabled
  Action action_ = Action::kKill;
  long writes_ = 0;
};

}  // namespace tunectl
