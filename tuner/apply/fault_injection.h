// Test switch for crash-safety tests, documented in `tunectl apply --help`:
//   TUNECTL_FAULT_AFTER_WRITES=k   the process dies right after the k-th knob write of an apply
//   TUNECTL_FAULT_ACTION=kill      raise(SIGKILL) (default): no destructors, no flush, like a crash
//                        exit      _exit(86)
//                        pause     print "fault injection: paused after write k (pid N)" to stderr
//                                  and sleep until killed, so a test can SIGKILL it from outside
//                                  (or race a second apply against the held lock)
// Unset, the switch costs one getenv per apply.
#pragma once

namespace tunectl {

class FaultInjector {
 public:
  enum class Action { kKill, kExit, kPause };

  // Reads the environment; throws InputError on a malformed value (before anything is written).
  static FaultInjector from_env();

  // Called by the engine right after each knob write; dies at the configured one.
  void after_write();

 private:
  long after_ = 0;  // 0: disabled
  Action action_ = Action::kKill;
  long writes_ = 0;
};

}  // namespace tunectl
