// The apply/rollback engine: journal first, write in plan order, read back, roll back in reverse
// on the first failure; and the rollback of a journaled record. Knob kinds differ only through
// the Knob interface: nothing here names a kind.
#include "core/errors.h"
#include "tuner/apply/command_hint.h"
#include "tuner/apply/engine_steps.h"
#include "tuner/apply/fault_injection.h"
#include "tuner/apply/state_lock.h"
#include "tuner/apply/transaction.h"

namespace tunectl {
using engine::Entry;
namespace {

std::string rollback_target_error(const JournalRecord& rec) {
  return "transaction " + rec.header.id + " is already rolled back (at " + rec.state_at("rolled-back") +
         "); nothing to do — `tunectl history` lists transactions";
}

// A record without a single "writing" mark: its apply stopped before the first write (or the
// journal was cut after its header). Nothing is written to the host. When every knob still holds
// its journaled previous bytes the record is closed, saying so; otherwise it stays open and the
// error names the knobs that differ, since which of them the apply wrote is not known.
Transaction close_without_writes(const Host& host, const JournalRecord& rec, const std::string& state_dir,
                                 const std::string& cause) {
  std::vector<std::string> differ;
  for (const auto& k : rec.header.knobs) {
    if (!k.before) continue;  // created with its container, which the apply never made
    const auto knob = make_knob(k.knob);
    const ReadResult now = knob->read_raw(host);
    if (!now.ok || (now.data != *k.before && knob->normalise_raw(now.data) != knob->normalise_raw(*k.before)))
      differ.push_back(k.knob);
  }
  const std::string none = "no knob write was recorded (the apply stopped before its first write, or the journal "
                           "was cut after its header)";
  if (!differ.empty()) {
    Transaction t = transaction_from_record(rec, state_dir);
    std::string list;
    for (const auto& d : differ) list += (list.empty() ? "" : ", ") + d;
    t.error = none + ", but " + std::to_string(differ.size()) + " knob(s) do not hold their journaled previous "
              "bytes: " + list + "; nothing was restored and the transaction stays open — check them, restore "
              "them by hand, then run `" + tunectl_command({"rollback"}, rec.header.root, state_dir) + "` again";
    return t;
  }
  JournalWriter jw = JournalWriter::reopen(rec.path, journal_pass_bytes(rec.header));
  jw.append({{"event", "state"}, {"state", "rolled-back"}, {"cause", cause + ": nothing written"}}, true);
  Transaction t = transaction_from_record(load_journal(rec.path), state_dir);
  t.note = none + "; every knob holds its previous bytes: nothing to restore, nothing was written to the host";
  return t;
}

}  // namespace

Transaction apply_plan(const Host& host, const Plan& plan, const std::string& state_dir) {
  FaultInjector fault = FaultInjector::from_env();
  const std::string root = canonical_root(host.root());
  Plan executed = plan;
  executed.root = root;
  executed.changes.clear();
  std::vector<Entry> entries = engine::prepare(host, plan, executed);
  if (entries.empty()) {
    Transaction t = plan_view(executed, root, TxState::kUnchanged);
    t.state_dir = state_dir;
    return t;
  }
  JournalHeader header = engine::make_header(host, executed, entries, state_dir);
  header.seq = take_next_seq(state_dir, last_journal_seq(scan_journals(state_dir)));
  header.fault_injection = fault.describe();
  // Room for this apply, the rollback after a failure and one more (a later `tunectl rollback`
  // after an incomplete one): no append of theirs can find the disk full.
  JournalWriter jw = JournalWriter::create(state_dir, header, 3 * journal_pass_bytes(header));

  // Newest first, up to knob `last`: the failing knob included, its write may have landed.
  auto restore_up_to = [&](size_t last, const std::string& cause) {
    std::vector<Entry> undo;
    for (size_t k = last + 1; k-- > 0;) undo.push_back(std::move(entries[k]));
    return engine::restore_all(host, jw, undo, cause);
  };
  // The journal stopped taking events (a disk full beyond the reservation, an I/O error): an apply
  // failure like any other — everything up to knob `last` is restored; a record that cannot say so
  // stays open until `tunectl rollback` closes it.
  auto journal_failed = [&](size_t last, const Error& e) {
    const auto journal_error = restore_up_to(last, "apply failed: journal");
    Transaction t = transaction_from_record(load_journal(jw.path()), state_dir);
    t.error = std::string(e.what()) + (journal_error ? "; every knob written was restored, but the journal could "
                                                       "not record it: run `" +
                                                           tunectl_command({"rollback"}, root, state_dir) + "` to close it"
                                                     : "");
    return t;
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    try {
      // Durable before the write: recovery restores every knob with a mark, so the marks always
      // cover the knobs that may have been written (a marked but unwritten knob is left alone).
      jw.append({{"event", "writing"}, {"index", i}}, true);
      json outcome = engine::write_one(host, entries[i], executed.changes[i].value);
      fault.after_write();
      if (!engine::write_failed(outcome)) {
        jw.append(outcome, false);  // the next durable append or the state line carries it to disk
        continue;
      }
      jw.append(outcome, true);
    } catch (const Error& e) {
      return journal_failed(i, e);
    }
    restore_up_to(i, "apply failed");
    return transaction_from_record(load_journal(jw.path()), state_dir);
  }
  // Once per kind that asks for it (boot: regenerate the boot loader configuration); a failure
  // fails the apply like a write, and the rollback runs the step again for the restored files.
  std::vector<const Entry*> written;
  for (const auto& e : entries) written.push_back(&e);
  for (const auto& a : engine::after_writes_of(written)) {
    try {
      const json outcome = engine::run_after_writes(host, a, "failed");
      jw.append(outcome, engine::write_failed(outcome));
      if (!engine::write_failed(outcome)) continue;
    } catch (const Error& e) {
      return journal_failed(entries.size() - 1, e);
    }
    restore_up_to(entries.size() - 1, "apply failed");
    return transaction_from_record(load_journal(jw.path()), state_dir);
  }
  try {
    jw.append({{"event", "state"}, {"state", "applied"}}, true);
  } catch (const Error& e) {
    return journal_failed(entries.size() - 1, e);
  }
  return transaction_from_record(load_journal(jw.path()), state_dir);
}

Transaction rollback_record(const Host& host, const JournalRecord& rec, const std::string& state_dir,
                            const std::string& cause) {
  const std::string root = canonical_root(host.root());
  if (rec.header.root != root)
    throw TransactionError("transaction " + rec.header.id + " was made for root " + rec.header.root + ", not " + root +
                           "; roll it back with that root");
  if (rec.state() == "rolled-back") throw TransactionError(rollback_target_error(rec));
  std::vector<engine::Entry> undo;
  const auto attempted = rec.attempted();
  for (auto it = attempted.rbegin(); it != attempted.rend(); ++it) {
    if (*it >= rec.header.knobs.size())
      throw TransactionError(rec.path + ": writing mark for unknown knob index " + std::to_string(*it));
    const JournalKnob& k = rec.header.knobs[*it];
    // make_knob re-checks the allowlist: an edited journal cannot name any other file.
    undo.push_back({k.index, make_knob(k.knob), k.before});
  }
  if (undo.empty()) return close_without_writes(host, rec, state_dir, cause);
  // Its events go into what apply reserved; more is reserved where the disk still allows.
  JournalWriter jw = JournalWriter::reopen(rec.path, journal_pass_bytes(rec.header));
  const auto journal_error = engine::restore_all(host, jw, undo, cause);
  Transaction t = transaction_from_record(load_journal(rec.path), state_dir);
  if (journal_error)
    t.error = "every knob was restored as far as possible, but the journal could not record it (" + *journal_error +
              "); the transaction stays open — free space and run `" + tunectl_command({"rollback"}, root, state_dir) +
              "` again";
  return t;
}

std::string already_rolled_back_message(const JournalRecord& rec) { return rollback_target_error(rec); }

}  // namespace tunectl
