// The steps the apply engine (apply_engine.cpp) and the toggled transaction of an audit
// (toggled_transaction.cpp) share: check everything before the journal, write one knob and check
// it, restore one or all knobs and record the outcome. Internal to tuner/apply.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"
#include "tuner/apply/journal.h"
#include "tuner/apply/transaction.h"
#include "tuner/knobs/knob.h"
#include "tuner/plan/plan.h"

namespace tunectl::engine {

// Raw bytes as a quoted, escaped string for messages ("60\n" shows its newline).
std::string shown(const std::string& raw);

struct Entry {
  size_t index;
  std::unique_ptr<Knob> knob;
  std::optional<std::string> before;  // see JournalKnob::before
};

// Everything that can refuse, refuses here: before the journal, before any write. Returns the
// entries to write (with their previous bytes) and moves the unsettable ones to `executed.skipped`
// (`executed.changes` gets the ones returned, in order). Throws NotPermitted (read-only mount),
// InputError (a value this host refuses), ApplyError (an unreadable knob).
std::vector<Entry> prepare(const Host& host, const Plan& plan, Plan& executed);

// The journal header for `entries` of `executed`, with a fresh id unique in `state_dir`, and what
// each knob belongs to (knob_identity.h).
JournalHeader make_header(const Host& host, const Plan& executed, const std::vector<Entry>& entries,
                          const std::string& state_dir);

// Writes `value` to the entry's knob, reads it back and checks its effect. Returns the journal
// event: "written" (with after_b64, effect) or "failed" (with the message). The caller has made
// the "writing" mark durable before calling.
json write_one(const Host& host, const Entry& e, const std::string& value);
inline bool write_failed(const json& event) { return event.value("event", "") == "failed"; }

struct Restore {
  bool ok = false;
  std::optional<std::string> found, restored;
  std::string message;
};
// Undoes one entry and checks the result. A knob already holding its previous bytes is left
// alone: that is every knob a crash or a failure stopped short of, and a read-only file.
Restore restore_one(const Host& host, const Entry& e);
// The journal event for one restore ("restored" / "restore-failed").
json restore_event(const Entry& e, const Restore& r);

// The kinds among `entries` with a KnobKind::after_writes step (boot: regenerate the boot loader
// configuration), each with the index of its last entry, in the order the kinds first appear.
struct AfterWrites {
  const KnobKind* kind;
  size_t last_index;
};
std::vector<AfterWrites> after_writes_of(const std::vector<const Entry*>& entries);
// Runs one kind's step; the journal event: "after-writes" (kind, message) when it succeeded, or
// `failed_event` ("failed" / "restore-failed") for its last entry, with the message.
json run_after_writes(const Host& host, const AfterWrites& a, const char* failed_event);

// Restores `entries` in the order given (newest write first), runs the after-writes step of each
// kind whose files it changed, and records the outcome: a "rolled-back" state with `cause` (and
// `note`, when given), or "rollback-incomplete" (the record stays open). Every knob is restored
// even when the journal cannot take an event; then the record stays open and the journal's error
// is returned.
std::optional<std::string> restore_all(const Host& host, JournalWriter& jw, const std::vector<Entry>& entries,
                                       const std::string& cause, const std::string& note = "");

// Closes `rec` as rolled back — a record from an earlier boot, whose runtime knobs the reboot
// already reset — and returns its view with `note` (why) set. Its knobs that take effect at boot
// (files the reboot kept) are restored first; the note then says so.
Transaction close_unwritten(const Host& host, const JournalRecord& rec, const std::string& state_dir,
                            const std::string& cause, const std::string& note);

}  // namespace tunectl::engine
