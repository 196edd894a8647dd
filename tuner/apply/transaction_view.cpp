// The public view of transactions: state names, JSON, and a journal record read back as a
// Transaction (what apply, rollback and history report).
#include <map>

#include "core/errors.h"
#include "tuner/apply/command_hint.h"
#include "tuner/apply/transaction.h"

namespace tunectl {
namespace {

// Raw bytes as JSON text: kernel files are ASCII, but a stray byte must not break the output.
std::string utf8_safe(const std::string& raw) {
  return json::parse(json(raw).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

template <class E>
E from_name(const std::string& s, std::initializer_list<E> all, const char* what) {
  for (E v : all)
    if (s == to_string(v)) return v;
  throw TransactionError(std::string("unknown ") + what + " '" + s + "'");
}

}  // namespace

const char* to_string(TxState s) {
  switch (s) {
    case TxState::kDryRun: return "dry-run";
    case TxState::kUnchanged: return "unchanged";
    case TxState::kOpen: return "open";
    case TxState::kApplied: return "applied";
    case TxState::kRolledBack: return "rolled-back";
  }
  return "open";
}

TxState tx_state_from_string(const std::string& s) {
  return from_name(s, {TxState::kDryRun, TxState::kUnchanged, TxState::kOpen, TxState::kApplied, TxState::kRolledBack},
                   "transaction state");
}

const char* to_string(TxChangeStatus s) {
  switch (s) {
    case TxChangeStatus::kPlanned: return "planned";
    case TxChangeStatus::kNotWritten: return "not-written";
    case TxChangeStatus::kAttempted: return "attempted";
    case TxChangeStatus::kWritten: return "written";
    case TxChangeStatus::kFailed: return "failed";
    case TxChangeStatus::kRestored: return "restored";
    case TxChangeStatus::kRestoreFailed: return "restore-failed";
  }
  return "attempted";
}

TxChangeStatus tx_change_status_from_string(const std::string& s) {
  return from_name(s, {TxChangeStatus::kPlanned, TxChangeStatus::kNotWritten, TxChangeStatus::kAttempted,
                       TxChangeStatus::kWritten, TxChangeStatus::kFailed, TxChangeStatus::kRestored,
                       TxChangeStatus::kRestoreFailed},
                   "change status");
}

void to_json(json& j, const TxChange& c) {
  auto text = [](const std::optional<std::string>& raw) -> json { return raw ? json(utf8_safe(*raw)) : json(nullptr); };
  j = {{"index", c.index},     {"knob", c.knob},         {"value", c.value},
       {"current", c.current}, {"desired", c.desired},   {"why", c.why},
       {"source", c.source},   {"per_netns", c.per_netns}, {"status", to_string(c.status)},
       {"before", text(c.before)}, {"after", text(c.after)}, {"found", text(c.found)},
       {"restored", text(c.restored)}, {"effect", c.effect}, {"effect_detail", c.effect_detail},
       {"error", c.error}};
}

void to_json(json& j, const Transaction& t) {
  j = {{"id", t.id},
       {"state", to_string(t.state)},
       {"profile", t.profile},
       {"profile_digest", t.profile_digest},
       {"root", t.root},
       {"state_dir", t.state_dir},
       {"journal", t.journal},
       {"started_at", t.started_at},
       {"finished_at", t.finished_at},
       {"rolled_back_at", t.rolled_back_at},
       {"changes", t.changes},
       {"already", t.already},
       {"skipped", t.skipped},
       {"recovered", t.recovered},
       {"warnings", t.warnings},
       {"plan_digest", t.plan_digest.empty() ? json(nullptr) : json(t.plan_digest)},
       {"error", t.error},
       {"note", t.note}};
}

json summary_json(const Transaction& t) {
  size_t written = 0;
  for (const auto& c : t.changes)
    if (c.status != TxChangeStatus::kNotWritten && c.status != TxChangeStatus::kPlanned) ++written;
  return {{"id", t.id},
          {"started_at", t.started_at},
          {"finished_at", t.finished_at},
          {"rolled_back_at", t.rolled_back_at},
          {"profile", t.profile},
          {"profile_digest", t.profile_digest},
          {"root", t.root},
          {"state", to_string(t.state)},
          {"knobs", t.changes.size()},
          {"written", written},
          {"error", t.error}};
}

Transaction plan_view(const Plan& plan, const std::string& root, TxState state) {
  Transaction t;
  t.state = state;
  t.profile = plan.profile;
  t.profile_digest = plan.profile_digest;
  t.root = root;
  for (size_t i = 0; i < plan.changes.size(); ++i) {
    const Change& c = plan.changes[i];
    TxChange x;
    x.index = i;
    x.knob = c.knob;
    x.value = c.value;
    x.current = c.current;
    x.desired = c.desired;
    x.why = c.why;
    x.source = c.source;
    x.per_netns = c.per_netns;
    t.changes.push_back(std::move(x));
  }
  t.already = plan.already;
  t.skipped = plan.skipped;
  t.warnings = plan.warnings;
  t.plan_digest = plan.digest;
  return t;
}

Transaction transaction_from_record(const JournalRecord& rec, const std::string& state_dir) {
  const JournalHeader& h = rec.header;
  Transaction t = plan_view(h.plan, h.root, tx_state_from_string(rec.state()));
  t.id = h.id;
  t.state_dir = state_dir;
  t.journal = rec.path;
  t.started_at = h.started_at;
  if (auto at = rec.state_at("applied"); !at.empty()) t.finished_at = at;
  if (auto at = rec.state_at("rolled-back"); !at.empty()) t.rolled_back_at = at;
  // The journal's plan holds exactly the header's knobs, in the same order.
  if (h.knobs.size() != t.changes.size())
    throw TransactionError(rec.path + ": header lists " + std::to_string(h.knobs.size()) + " knobs but its plan " +
                           std::to_string(t.changes.size()));
  for (size_t i = 0; i < h.knobs.size(); ++i) {
    t.changes[i].before = h.knobs[i].before;
    t.changes[i].status = TxChangeStatus::kNotWritten;
  }
  auto decode = [](const json& ev, const char* key) -> std::optional<std::string> {
    if (!ev.contains(key)) return std::nullopt;
    return base64_decode(ev.at(key).get<std::string>());
  };
  std::optional<std::string> apply_error, rollback_error, after_writes;
  for (const auto& ev : rec.events) {
    const std::string kind = ev.value("event", "");
    if (kind == "rollback-incomplete") {
      rollback_error = "rollback (" + ev.value("cause", "") + ") incomplete: " + std::to_string(ev.at("failed").size()) +
                       " knob(s) could not be restored; the transaction stays open — fix the cause and run `" +
                       tunectl_command({"rollback"}, h.root, state_dir) + "`";
      continue;
    }
    if (kind == "state") {
      rollback_error.reset();  // a later complete rollback supersedes an incomplete one
      continue;
    }
    if (kind == "after-writes") {  // e.g. "ran `update-grub`": the last one says what the host has now
      after_writes = ev.value("kind", "") + ": " + ev.value("message", "");
      continue;
    }
    if (!ev.contains("index")) continue;
    const size_t i = ev.at("index").get<size_t>();
    if (i >= t.changes.size()) throw TransactionError(rec.path + ": event for unknown knob index " + std::to_string(i));
    TxChange& c = t.changes[i];
    if (kind == "writing") {
      c.status = TxChangeStatus::kAttempted;
    } else if (kind == "written") {
      c.status = TxChangeStatus::kWritten;
      c.after = decode(ev, "after_b64");
      c.effect = ev.value("effect", "n/a");
      if (ev.contains("effect_detail")) c.effect_detail = ev.at("effect_detail").get<std::string>();
    } else if (kind == "failed") {
      c.status = TxChangeStatus::kFailed;
      c.after = decode(ev, "after_b64");
      c.error = ev.value("message", "");
      std::string why = *c.error;
      if (why.rfind(c.knob + ": ", 0) == 0) why.erase(0, c.knob.size() + 2);  // named once is enough
      apply_error = "apply failed at " + c.knob + " (" + ev.value("errno_name", "no errno") + "): " + why;
    } else if (kind == "restored" || kind == "restore-failed") {
      c.status = tx_change_status_from_string(kind);
      c.found = decode(ev, "found_b64");
      c.restored = decode(ev, "restored_b64");
      if (ev.contains("message")) c.error = ev.at("message").get<std::string>();
    }
  }
  t.error = rollback_error ? rollback_error : apply_error;
  if (after_writes) t.note = after_writes;
  return t;
}

}  // namespace tunectl
