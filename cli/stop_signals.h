// SIGINT/SIGTERM during a long verb (audit, bench): instead of dying with a cgroup or a toggled
// host left behind, the verb polls a flag between runs, cleans up and exits 130 (kExitInterrupted).
#pragma once
#include <signal.h>

namespace tunectl::cli {

// While one lives, SIGINT and SIGTERM only set the flag requested() reads (SA_RESTART: the run in
// progress finishes; the verb stops before the next). The previous handlers come back after.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  static bool requested();

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

}  // namespace tunectl::cli
