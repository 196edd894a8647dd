#include "tuner/apply/toggled_transaction.h"

#include "core/errors.h"
#include "tuner/apply/engine_steps.h"
#include "tuner/apply/state_lock.h"

namespace tunectl {

struct ToggledTransaction::State {
  Host host;
  std::string state_dir;
  Plan executed;
  std::vector<engine::Entry> entries;
  std::vector<ToggledKnob> knobs;
  std::optional<JournalWriter> jw;
  size_t pass_bytes = 0;  // journal room for one pass over every knob (journal_pass_bytes)

  // Newest write first, as rollback undoes.
  std::vector<engine::Entry> undo_order() {
    std::vector<engine::Entry> undo;
    for (size_t k = entries.size(); k-- > 0;) undo.push_back({entries[k].index, make_knob(entries[k].knob->address()), entries[k].before});
    return undo;
  }
  // The whole rollback after a failed switch; the error says whether the host is back in A.
  std::string abort(const std::string& error) {
    engine::restore_all(host, *jw, undo_order(), "audit: " + error);
    const Transaction t = transaction_from_record(load_journal(jw->path()), state_dir);
    if (t.state == TxState::kRolledBack) return error + "; every knob was restored";
    return error + "; " + t.error.value_or("the rollback was incomplete") + " (transaction " + t.id.value_or("") + ")";
  }
};

ToggledTransaction::ToggledTransaction(std::unique_ptr<State> s) : s_(std::move(s)) {}
ToggledTransaction::ToggledTransaction(ToggledTransaction&&) noexcept = default;
ToggledTransaction::~ToggledTransaction() = default;

ToggledTransaction ToggledTransaction::begin(const Host& host, const Plan& plan, const std::string& state_dir) {
  auto s = std::make_unique<State>(State{host, state_dir, plan, {}, {}, std::nullopt, 0});
  s->executed.root = canonical_root(host.root());
  s->executed.changes.clear();
  // A boot-time setting changes nothing before the next boot: no benchmark here can see it, and
  // switching it would only rewrite the boot configuration. It is left out, with the reason.
  Plan runtime = plan;
  runtime.changes.clear();
  for (const Change& c : plan.changes) {
    if (!make_knob(c.knob)->takes_effect_at_boot()) {
      runtime.changes.push_back(c);
      continue;
    }
    Change skipped = c;
    skipped.status = ChangeStatus::kNotSettable;
    skipped.reason = "takes effect at the next boot: an audit cannot measure it (apply it, reboot, then audit)";
    s->executed.skipped.push_back(std::move(skipped));
  }
  s->entries = engine::prepare(host, runtime, s->executed);
  for (const auto& e : s->entries) s->knobs.push_back({e.knob->address(), s->executed.changes[e.index].value, e.before, {}, "not-applicable", ""});
  if (!s->entries.empty()) {
    remove_stale_tmp_headers(state_dir);
    JournalHeader header = engine::make_header(host, s->executed, s->entries, state_dir);
    header.seq = take_next_seq(state_dir, last_journal_seq(scan_journals(state_dir)));
    s->pass_bytes = journal_pass_bytes(header);
    // A switch to B, back to A and a full rollback; every switch to B renews this (to_applied).
    s->jw.emplace(JournalWriter::create(state_dir, header, 3 * s->pass_bytes));
  }
  return ToggledTransaction(std::move(s));
}

bool ToggledTransaction::empty() const { return s_->entries.empty(); }
const Plan& ToggledTransaction::executed() const { return s_->executed; }
std::vector<ToggledKnob> ToggledTransaction::knobs() const { return s_->knobs; }

std::optional<std::string> ToggledTransaction::to_applied() {
  if (finished_) throw TransactionError("the audit transaction is already finished");
  if (empty() || applied_) return std::nullopt;
  // Room for this switch, the one back and a full rollback, before any knob is written; without
  // it the audit ends here with the host in A and the record closed in the room reserved earlier.
  if (!s_->jw->reserve(3 * s_->pass_bytes)) {
    finished_ = true;
    return s_->abort("not enough space left for the journal " + s_->jw->path() + " to switch again");
  }
  s_->jw->append({{"event", "audit-switch"}, {"to", "applied"}}, false);
  for (size_t i = 0; i < s_->entries.size(); ++i) {
    const engine::Entry& e = s_->entries[i];
    s_->jw->append({{"event", "writing"}, {"index", e.index}}, true);  // durable before the write
    json outcome = engine::write_one(s_->host, e, s_->knobs[i].value);
    s_->jw->append(outcome, engine::write_failed(outcome));
    if (engine::write_failed(outcome)) {
      finished_ = true;
      return s_->abort(outcome.value("message", e.knob->address() + ": write failed"));
    }
    s_->knobs[i].after = base64_decode(outcome.at("after_b64").get<std::string>());
    s_->knobs[i].effect = outcome.value("effect", "not-applicable");
    s_->knobs[i].effect_detail = outcome.value("effect_detail", "");
  }
  applied_ = true;
  ++switches_;
  return std::nullopt;
}

std::optional<std::string> ToggledTransaction::to_original() {
  if (finished_) throw TransactionError("the audit transaction is already finished");
  if (empty() || !applied_) return std::nullopt;
  s_->jw->append({{"event", "audit-switch"}, {"to", "original"}}, false);
  for (const auto& e : s_->undo_order()) {
    const engine::Restore r = engine::restore_one(s_->host, e);
    s_->jw->append(engine::restore_event(e, r), !r.ok);
    if (!r.ok) {
      finished_ = true;
      return s_->abort(r.message);
    }
  }
  applied_ = false;
  ++switches_;
  return std::nullopt;
}

void ToggledTransaction::recheck_effects() {
  if (!applied_) return;
  for (size_t i = 0; i < s_->entries.size(); ++i) {
    const Effect eff = s_->entries[i].knob->check_effect(s_->host, s_->knobs[i].value);
    s_->knobs[i].effect = to_string(eff.status);
    s_->knobs[i].effect_detail = eff.detail;
  }
}

std::optional<std::string> ToggledTransaction::keep() {
  if (finished_) throw TransactionError("the audit transaction is already finished");
  if (empty()) return std::nullopt;
  if (auto err = to_applied()) return err;
  s_->jw->append({{"event", "state"}, {"state", "applied"}, {"cause", "audit: kept"}}, true);
  finished_ = true;
  return std::nullopt;
}

std::optional<std::string> ToggledTransaction::roll_back(const std::string& cause) {
  if (finished_) throw TransactionError("the audit transaction is already finished");
  finished_ = true;
  if (empty()) return std::nullopt;
  engine::restore_all(s_->host, *s_->jw, s_->undo_order(), cause);
  applied_ = false;
  const Transaction t = view();
  if (t.state == TxState::kRolledBack) return std::nullopt;
  return t.error.value_or("the rollback was incomplete");
}

Transaction ToggledTransaction::view() const {
  if (empty()) {
    Transaction t = plan_view(s_->executed, s_->executed.root, TxState::kUnchanged);
    t.state_dir = s_->state_dir;
    return t;
  }
  return transaction_from_record(load_journal(s_->jw->path()), s_->state_dir);
}

}  // namespace tunectl
