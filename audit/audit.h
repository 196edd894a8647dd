// `tunectl audit`: apply a profile and prove it. The host is switched between its original state
// (A) and the profile applied (B) through one journaled transaction (tuner/apply/
// toggled_transaction.h) while the benchmarks that can see the change run interleaved, round by
// round (A B, B A, ...); then every metric gets a verdict (bench/compare.h), the profile's
// expectations are judged (audit/expectations.h), and the audit ends with the profile kept (it
// passed, and --keep) or the original restored. The result is one report, schema
// "tunectl.audit/1" (docs/audit.md); audit/report_files.h writes it as JSON, Markdown and HTML.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "audit/bench_choice.h"
#include "audit/report_files.h"  // kAuditSchema
#include "core/json.h"
#include "tuner/profile/profile.h"

namespace tunectl {

// An audit stopped by SIGINT/SIGTERM restores the original settings and exits kExitInterrupted
// (core/errors.h).

struct AuditRequest {
  std::string profile;  // built-in name or path
  std::optional<Profile> loaded;  // audit this instead of loading `profile` (Python: a dict)
  std::optional<std::string> profile_path;  // --profile-path (tuner/profile/profile.h); nullopt: the default
  std::string root = "/";
  std::optional<std::string> state_dir;
  std::string benches = "auto";                   // "auto", "none" or NAME,...
  std::map<std::string, BenchOptions> bench_options;  // --bench-option NAME.KEY=VALUE
  int rounds = 10;  // rounds; each runs every benchmark's A/B pair `reps` times
  int reps = 1;     // pairs per benchmark per round (runs per side: rounds x reps)
  int warmup = 1;   // unrecorded pairs per benchmark first
  bool keep = true;  // keep the profile when the audit passes (--keep); false: always restore
  bool dry_run = false;
  std::optional<std::string> noise_file;  // calibration (default: bench::default_noise_path())
};

struct AuditProgress {
  int round = 0, rounds = 0;  // round 0: warm-up
  std::string bench;
  std::string state;  // "before" (A) or "after" (B)
  double eta_s = 0;   // estimated seconds left
};

struct AuditHooks {
  std::function<void(const AuditProgress&)> progress;
  // Polled before every run; true stops the audit, restores the original, and run_audit throws
  // Error with kExitInterrupted.
  std::function<bool()> interrupted;
};

struct AuditResult {
  json report;    // schema tunectl.audit/1
  int exit_code;  // 0 passed, 1 an expectation failed or a regression, 4 apply failed (rolled back)
};

// Throws InputError (profile, options, too few rounds: exit 2), NotPermitted (3), TransactionError
// (a transaction is open, the state dir is locked) before anything is written.
AuditResult run_audit(const AuditRequest& req, const AuditHooks& hooks = {});

}  // namespace tunectl
