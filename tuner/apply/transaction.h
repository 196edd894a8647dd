// Transactions: a plan applied as one unit that can always be undone.
//
// apply:    lock the state dir, refuse while a transaction is open, journal every knob's previous
//           bytes (tuner/apply/journal.h) before the first write, write in plan order, read each knob
//           back and check its effect; on the first failure restore everything in reverse.
// rollback: restore the previous bytes of the last (or named) transaction, open ones included
//           (crash recovery), verify they read back, record it.
// history:  every recorded transaction.
// Front ends (CLI verbs, Python) call apply_profile / rollback / history and only print.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"
#include "tuner/apply/journal.h"
#include "tuner/apply/state_dir.h"
#include "tuner/plan/plan.h"
#include "tuner/plan/plan_review.h"

namespace tunectl {

enum class TxState { kDryRun, kUnchanged, kOpen, kApplied, kRolledBack };
const char* to_string(TxState s);
TxState tx_state_from_string(const std::string& s);  // throws TransactionError

enum class TxChangeStatus {
  kPlanned,        // dry run
  kNotWritten,     // journaled, never attempted
  kAttempted,      // its write may have happened (a crash came between mark and outcome)
  kWritten,
  kFailed,
  kRestored,
  kRestoreFailed,
};
const char* to_string(TxChangeStatus s);
TxChangeStatus tx_change_status_from_string(const std::string& s);  // throws TransactionError

// One planned change and what became of it.
struct TxChange {
  size_t index = 0;
  std::string knob, value, current, desired, why, source;
  bool per_netns = false;
  TxChangeStatus status = TxChangeStatus::kPlanned;
  std::optional<std::string> before;    // exact previous raw bytes (null: created with its container)
  std::optional<std::string> after;     // raw bytes read back after the write
  std::optional<std::string> found;     // raw bytes found when rolling back (drift shows here)
  std::optional<std::string> restored;  // raw bytes read back after restoring
  std::optional<std::string> effect;    // ok | pending | failed | n/a
  std::optional<std::string> effect_detail;
  std::optional<std::string> error;
};

struct Transaction {
  std::optional<std::string> id;  // null when nothing was journaled (dry run, nothing to change)
  TxState state = TxState::kDryRun;
  std::string profile, profile_digest, root;
  std::optional<std::string> state_dir, journal, started_at, finished_at, rolled_back_at;
  std::vector<TxChange> changes;
  std::vector<Change> already;  // already as desired
  std::vector<Change> skipped;  // not settable / missing, with reasons; never written
  std::vector<std::string> recovered;  // open transactions rolled back first (apply --recover)
  std::vector<std::string> warnings;   // the plan's (tuner/plan/plan.h); not journaled
  std::string plan_digest;             // the plan's digest (tuner/plan/plan_review.h); not journaled
  // Why an apply failed (kept in history) or why a rollback was incomplete. Success is told by
  // `state` (applied, rolled-back), not by the absence of an error.
  std::optional<std::string> error;
  // Why a rollback wrote nothing although it succeeded: the record was from an earlier boot, or it
  // has no recorded write.
  std::optional<std::string> note;
};
void to_json(json& j, const TxChange& c);
void to_json(json& j, const Transaction& t);
// One history line: id, times, profile, digest, state, number of knobs planned ("knobs") and written.
json summary_json(const Transaction& t);

// Builds the public view of a record (what history, rollback and apply report).
Transaction transaction_from_record(const JournalRecord& rec, const std::string& state_dir);
// The view of a plan that was not (or not yet) journaled: dry runs and "nothing to change".
Transaction plan_view(const Plan& plan, const std::string& root, TxState state);

// The engine. The caller holds the StateLock and has made sure no transaction is open. Returns
// kApplied; kRolledBack with `error` after a failure (everything written restored); kOpen with
// `error` if even that rollback was incomplete; kUnchanged (no journal) when there is nothing to
// write. Throws NotPermitted (read-only mount) or ApplyError (unreadable knob)
// before writing anything, the journal included.
Transaction apply_plan(const Host& host, const Plan& plan, const std::string& state_dir);
// Restores the knobs of `rec` that may have been written, newest first, and records the result.
// The caller holds the StateLock. `cause`: "rollback", "recover".
Transaction rollback_record(const Host& host, const JournalRecord& rec, const std::string& state_dir,
                            const std::string& cause);

// "transaction X is already rolled back (at T); nothing to do — ...".
std::string already_rolled_back_message(const JournalRecord& rec);

struct ApplyRequest {
  std::string profile;  // built-in name or path
  // Apply this instead of loading `profile` (tunectl boot: the persisted body; Python: a dict).
  std::optional<Profile> loaded;
  std::optional<std::string> profile_path;  // --profile-path (tuner/profile/profile.h); nullopt: the default
  std::string root = "/";
  std::optional<std::string> state_dir;
  bool dry_run = false;  // plan only: no lock, no journal, no write
  bool recover = false;  // roll back an open transaction first
  std::optional<double> wait_seconds;  // wait this long for the state lock (tuner/apply/state_lock.h)
  // Checked on the plan made under the lock (tuner/plan/plan_review.h): --strict, the reviewed
  // plan's digest (`plan --json` "digest") or the whole reviewed plan; PlanRefused, nothing written.
  PlanExpectations expect;
  // Called with the plan, under the lock, before the journal is written; false aborts.
  std::function<bool(const Plan&)> confirm;
};
Transaction apply_profile(const ApplyRequest& req);

struct RollbackRequest {
  std::string root = "/";
  std::optional<std::string> state_dir;
  // Roll back this transaction and every later one still in effect (newest first); default:
  // the last transaction.
  std::optional<std::string> to;
  // Restore even when an IRQ or interface is no longer the device recorded at apply, or the host
  // rebooted since (tuner/apply/knob_identity.h). Never writes into another network namespace.
  bool force = false;
  std::optional<double> wait_seconds;  // as ApplyRequest
};
// The transactions rolled back, newest first. Stops at an incomplete rollback (its state is still
// not "rolled-back" and its `error` says why). Nothing to do — no transaction recorded, or the last
// (or `to`) one already rolled back — is not an error: returns none and says why in `nothing_to_do`.
std::vector<Transaction> rollback(const RollbackRequest& req, std::string* nothing_to_do = nullptr);

// Every recorded transaction for this root, oldest first (by seq: journal.h). Needs no lock and no
// root privilege beyond reading the state dir. Corrupt records are skipped and, with `corrupt`,
// listed there by id and reason.
std::vector<Transaction> history(const std::string& root, const std::optional<std::string>& state_dir,
                                 std::vector<CorruptJournal>* corrupt = nullptr);
// `history --json` (and Python's history()): {"state_dir", "transactions": [summary_json...],
// "corrupt": [{id, journal, error}]}.
json history_json(const std::string& root, const std::optional<std::string>& state_dir);

}  // namespace tunectl
