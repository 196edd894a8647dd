// The transaction entry points front ends call: apply a profile, roll back, list history. They
// take the lock, recover or refuse open transactions, plan, and hand over to the engine
// (apply_engine.cpp).
#include "tuner/apply/transaction.h"

#include "core/errors.h"
#include "tuner/apply/state_lock.h"
#include "tuner/plan/planner.h"
#include "tuner/profile/profile.h"

namespace tunectl {

Transaction apply_profile(const ApplyRequest& req) {
  const std::string root = canonical_root(req.root);
  Host host(root);
  Profile profile = load_profile(req.profile);
  if (req.dry_run) return plan_view(make_plan(host, plan_snapshot(host), profile), root, TxState::kDryRun);
  require_write_permission(host);
  const std::string state_dir = state_dir_for(root, req.state_dir);
  StateLock lock = StateLock::acquire(state_dir, true);

  std::vector<std::string> recovered;
  auto records = load_journals(state_dir);
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (it->state() != "open") continue;
    if (!req.recover)
      throw TransactionError("transaction " + it->header.id +
                             " is open (interrupted apply); run `tunectl rollback` or `tunectl apply --recover`");
    Transaction back = rollback_record(host, *it, state_dir, "recover");
    if (back.state != TxState::kRolledBack)
      throw TransactionError("recovering " + it->header.id + ": " + *back.error + "; nothing new was applied");
    recovered.push_back(it->header.id);
  }

  // Planned under the lock and after any recovery: the plan describes the host it will change.
  Plan plan = make_plan(host, plan_snapshot(host), profile);
  if (req.confirm && !req.confirm(plan)) throw InputError("not confirmed; nothing was written");
  Transaction t = apply_plan(host, plan, state_dir);
  t.recovered = recovered;
  return t;
}

std::vector<Transaction> rollback(const RollbackRequest& req) {
  const std::string root = canonical_root(req.root);
  Host host(root);
  require_write_permission(host);
  const std::string state_dir = state_dir_for(root, req.state_dir);
  StateLock lock = StateLock::acquire(state_dir, false);
  const auto records = load_journals(state_dir);
  if (records.empty()) throw TransactionError("no transactions recorded in " + state_dir);

  std::vector<const JournalRecord*> targets;  // newest first
  if (!req.to) {
    if (records.back().state() == "rolled-back")
      throw TransactionError(already_rolled_back_message(records.back()) + "; `--to ID` rolls back an earlier one");
    targets.push_back(&records.back());
  } else {
    size_t pos = records.size();
    for (size_t i = 0; i < records.size(); ++i)
      if (records[i].header.id == *req.to) pos = i;
    if (pos == records.size())
      throw TransactionError("no transaction " + *req.to + " in " + state_dir + " (see `tunectl history`)");
    if (records[pos].state() == "rolled-back") throw TransactionError(already_rolled_back_message(records[pos]));
    // "To" ID: later transactions still in effect were applied on top of it; undo them first.
    for (size_t i = records.size(); i-- > pos;)
      if (records[i].state() != "rolled-back") targets.push_back(&records[i]);
  }
  for (const auto* rec : targets)
    if (rec->header.root != root)
      throw TransactionError("transaction " + rec->header.id + " was made for root " + rec->header.root + ", not " +
                             root + "; pass --root " + rec->header.root);

  std::vector<Transaction> out;
  for (const auto* rec : targets) {
    out.push_back(rollback_record(host, *rec, state_dir, "rollback"));
    if (out.back().state != TxState::kRolledBack) break;
  }
  return out;
}

std::vector<Transaction> history(const std::string& root, const std::optional<std::string>& state_dir) {
  const std::string dir = state_dir_for(root, state_dir);
  std::vector<Transaction> out;
  for (const auto& rec : load_journals(dir)) out.push_back(transaction_from_record(rec, dir));
  return out;
}

}  // namespace tunectl
