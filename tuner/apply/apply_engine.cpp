// The apply/rollback engine: journal first, write in plan order, read back, roll back in reverse
// on the first failure; and the rollback of a journaled record. Knob kinds differ only through
// the Knob interface: nothing here names a kind.
#include "core/errors.h"
#include "tuner/apply/engine_steps.h"
#include "tuner/apply/fault_injection.h"
#include "tuner/apply/transaction.h"

namespace tunectl {
using engine::Entry;
namespace {

std::string rollback_target_error(const JournalRecord& rec) {
  return "transaction " + rec.header.id + " is already rolled back (at " + rec.state_at("rolled-back") +
         "); nothing to do — `tunectl history` lists transactions";
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
  JournalWriter jw = JournalWriter::create(state_dir, engine::make_header(host, executed, entries, state_dir));

  for (size_t i = 0; i < entries.size(); ++i) {
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
    std::vector<Entry> undo;  // newest first, the failing knob included: its write may have landed
    for (size_t k = i + 1; k-- > 0;) undo.push_back(std::move(entries[k]));
    engine::restore_all(host, jw, undo, "apply failed");
    return transaction_from_record(load_journal(jw.path()), state_dir);
  }
  jw.append({{"event", "state"}, {"state", "applied"}}, true);
  return transaction_from_record(load_journal(jw.path()), state_dir);
}

Transaction rollback_record(const Host& host, const JournalRecord& rec, const std::string& state_dir,
                            const std::string& cause) {
  const std::string root = canonical_root(host.root());
  if (rec.header.root != root)
    throw TransactionError("transaction " + rec.header.id + " was made for root " + rec.header.root + ", not " + root +
                           "; pass --root " + rec.header.root);
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
  JournalWriter jw = JournalWriter::reopen(rec.path);
  engine::restore_all(host, jw, undo, cause);
  return transaction_from_record(load_journal(rec.path), state_dir);
}

std::string already_rolled_back_message(const JournalRecord& rec) { return rollback_target_error(rec); }

}  // namespace tunectl
