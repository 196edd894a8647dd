// The transaction entry points front ends call: apply a profile, roll back, list history. They
// take the lock, recover or refuse open transactions, plan, and hand over to the engine
// (apply_engine.cpp).
#include "tuner/apply/transaction.h"

#include "core/errors.h"
#include "tuner/apply/command_hint.h"
#include "tuner/apply/engine_steps.h"
#include "tuner/apply/knob_identity.h"
#include "tuner/apply/state_lock.h"
#include "tuner/plan/plan_review.h"
#include "tuner/plan/planner.h"
#include "tuner/profile/profile.h"

namespace tunectl {
namespace {

std::string corrupt_text(const CorruptJournal& c) { return "journal " + c.id + " is corrupt (" + c.reason + ")"; }

// A corrupt record might be an open transaction whose previous bytes cannot be read: applying over
// it would bury them under new ones. So apply refuses while there is one (see docs/architecture.md).
void refuse_corrupt_for_apply(const JournalSet& set, const std::string& state_dir) {
  if (set.corrupt.empty()) return;
  throw OpenTransaction(corrupt_text(set.corrupt.front()) + ": it may be an open transaction tunectl cannot restore, "
                        "so nothing is applied over it; compare its knobs with the host, then move it out of " +
                        journal_dir(state_dir) + " (nothing was written)");
}

// Rolling back `oldest` (and what lies on top of it) under a corrupt record that may be newer could
// leave the host in neither state, so that refuses; corrupt records known to be older are skipped.
void refuse_corrupt_on_top(const JournalSet& set, const JournalRecord& oldest, const std::string& state_dir) {
  for (const auto& c : set.corrupt)
    if (!c.seq || *c.seq > oldest.header.seq)
      throw TransactionError(corrupt_text(c) + " and may record a transaction made after " + oldest.header.id +
                             "; rolling back under it could leave the host in neither state — repair it or move it "
                             "out of " + journal_dir(state_dir) + ", then retry (nothing was written)");
}

}  // namespace

Transaction apply_profile(const ApplyRequest& req) {
  const std::string root = canonical_root(req.root);
  Host host(root);
  Profile profile = req.loaded ? *req.loaded : load_profile(req.profile, profile_search_dirs(req.profile_path));
  if (req.dry_run) {
    const Plan plan = make_plan(host, plan_snapshot(host, plan_areas(profile)), profile);
    check_plan(plan, req.expect);  // a dry run says whether the real one would be refused
    return plan_view(plan, root, TxState::kDryRun);
  }
  require_write_permission(host);
  const std::string state_dir = state_dir_for(root, req.state_dir);
  StateLock lock = StateLock::acquire(state_dir, true, req.wait_seconds);

  std::vector<std::string> recovered;
  remove_stale_tmp_headers(state_dir);
  const JournalSet set = scan_journals(state_dir);
  refuse_corrupt_for_apply(set, state_dir);
  const auto& records = set.records;
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (it->state() != "open") continue;
    if (!req.recover)
      throw OpenTransaction("transaction " + it->header.id + " is open (interrupted apply); run `" +
                            tunectl_command({"rollback"}, root, state_dir) + "` or `" +
                            tunectl_command({"apply", "-p", req.profile, "--recover"}, root, state_dir) + "`");
    // A record from an earlier boot is closed unwritten; a different namespace or device refuses.
    const auto stale = check_rollback(host, *it, false);
    Transaction back = stale ? engine::close_unwritten(host, *it, state_dir, "recover: reboot", *stale)
                             : rollback_record(host, *it, state_dir, "recover");
    if (back.state != TxState::kRolledBack)
      throw TransactionError("recovering " + it->header.id + ": " + *back.error + "; nothing new was applied");
    recovered.push_back(it->header.id);
  }

  // Planned under the lock and after any recovery: the plan describes the host it will change.
  Plan plan = make_plan(host, plan_snapshot(host, plan_areas(profile)), profile);
  check_plan(plan, req.expect);
  if (req.confirm && !req.confirm(plan)) throw InputError("not confirmed; nothing was written");
  Transaction t = apply_plan(host, plan, state_dir);
  t.recovered = recovered;
  t.warnings = plan.warnings;
  t.plan_digest = plan.digest;
  return t;
}

std::vector<Transaction> rollback(const RollbackRequest& req, std::string* nothing_to_do) {
  const std::string root = canonical_root(req.root);
  Host host(root);
  require_write_permission(host);
  const std::string state_dir = state_dir_for(root, req.state_dir);
  auto nothing = [&](const std::string& why) {
    if (nothing_to_do) *nothing_to_do = why;
    return std::vector<Transaction>{};
  };
  // Nothing recorded is nothing to do, unless --to named a transaction.
  auto none_recorded = [&] {
    if (req.to) throw TransactionError("no transaction " + *req.to + " in " + state_dir + " (see `tunectl history`)");
    return nothing("no transactions recorded in " + state_dir + "; nothing to roll back");
  };
  if (!open_state_dir(state_dir, false).valid()) return none_recorded();  // never applied here
  StateLock lock = StateLock::acquire(state_dir, false, req.wait_seconds);
  remove_stale_tmp_headers(state_dir);
  const JournalSet set = scan_journals(state_dir);
  const auto& records = set.records;
  if (req.to)
    for (const auto& c : set.corrupt)
      if (c.id == *req.to) throw TransactionError("cannot roll back " + c.id + ": " + corrupt_text(c));
  if (records.empty() && !set.corrupt.empty())
    throw TransactionError("no readable transaction in " + state_dir + "; " + corrupt_text(set.corrupt.front()));
  if (records.empty()) return none_recorded();

  std::vector<const JournalRecord*> targets;  // newest first
  if (!req.to) {
    refuse_corrupt_on_top(set, records.back(), state_dir);  // it may be the last transaction
    if (records.back().state() == "rolled-back")
      return nothing(already_rolled_back_message(records.back()) + "; `--to ID` rolls back an earlier one");
    targets.push_back(&records.back());
  } else {
    size_t pos = records.size();
    for (size_t i = 0; i < records.size(); ++i)
      if (records[i].header.id == *req.to) pos = i;
    if (pos == records.size())
      throw TransactionError("no transaction " + *req.to + " in " + state_dir + " (see `tunectl history`)");
    refuse_corrupt_on_top(set, records[pos], state_dir);
    if (records[pos].state() == "rolled-back") return nothing(already_rolled_back_message(records[pos]));
    // "To" ID: later transactions still in effect were applied on top of it; undo them first.
    for (size_t i = records.size(); i-- > pos;)
      if (records[i].state() != "rolled-back") targets.push_back(&records[i]);
  }
  for (const auto* rec : targets)
    if (rec->header.root != root)
      throw TransactionError("transaction " + rec->header.id + " was made for root " + rec->header.root + ", not " +
                             root + "; roll it back with that root");

  // Every target is checked (knob_identity.h) before the first write: a refusal leaves all as they are.
  std::vector<std::optional<std::string>> stale;
  for (const auto* rec : targets) stale.push_back(check_rollback(host, *rec, req.force));
  std::vector<Transaction> out;
  for (size_t i = 0; i < targets.size(); ++i) {
    out.push_back(stale[i] ? engine::close_unwritten(host, *targets[i], state_dir, "rollback: reboot", *stale[i])
                           : rollback_record(host, *targets[i], state_dir, "rollback"));
    if (out.back().state != TxState::kRolledBack) break;
  }
  return out;
}

std::vector<Transaction> history(const std::string& root, const std::optional<std::string>& state_dir,
                                 std::vector<CorruptJournal>* corrupt) {
  const std::string dir = state_dir_for(root, state_dir);
  JournalSet set = scan_journals(dir);
  std::vector<Transaction> out;
  for (const auto& rec : set.records) out.push_back(transaction_from_record(rec, dir));
  if (corrupt) *corrupt = std::move(set.corrupt);
  return out;
}

json history_json(const std::string& root, const std::optional<std::string>& state_dir) {
  std::vector<CorruptJournal> corrupt;
  json list = json::array(), bad = json::array();
  for (const auto& t : history(root, state_dir, &corrupt)) list.push_back(summary_json(t));
  for (const auto& c : corrupt) bad.push_back({{"id", c.id}, {"journal", c.path}, {"error", c.reason}});
  return {{"state_dir", state_dir_for(root, state_dir)}, {"transactions", list}, {"corrupt", bad}};
}

}  // namespace tunectl
