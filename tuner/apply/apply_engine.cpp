// The apply/rollback engine: journal first, write in plan order, read back, roll back in reverse
// on the first failure; and the rollback of a journaled record. Knob kinds differ only through
// the Knob interface: nothing here names a kind.
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include "core/errno_name.h"
#include "core/errors.h"
#include "tuner/apply/fault_injection.h"
#include "tuner/apply/transaction.h"
#include "tuner/knobs/knob.h"

namespace tunectl {
namespace {

// Raw bytes as a quoted, escaped string for messages ("60\n" shows its newline).
std::string shown(const std::string& raw) { return json(raw).dump(-1, ' ', false, json::error_handler_t::replace); }

// A read-only mount where a kind's files live (a container's /proc/sys) means no write can
// succeed, so apply stops before touching anything instead of failing half-way.
std::optional<std::string> read_only_mount(const Host& host, const std::string& address) {
  const std::string& dir = knob_kind_of(address).kernel_dir;
  if (dir.empty()) return std::nullopt;
  struct statvfs vfs;
  if (::statvfs(host.resolve(dir).c_str(), &vfs) != 0 || !(vfs.f_flag & ST_RDONLY)) return std::nullopt;
  return dir + " is mounted read-only (a container?): " + address + " cannot be written; nothing was written";
}

struct Entry {
  size_t index;
  std::unique_ptr<Knob> knob;
  std::optional<std::string> before;  // see JournalKnob::before
};

struct Restore {
  bool ok = false;
  std::optional<std::string> found, restored;
  std::string message;
};

// Undoes one entry and checks the result. A knob already holding its previous bytes is left
// alone: that is every knob a crash or a failure stopped short of, and a read-only file.
Restore restore_one(const Host& host, const Entry& e) {
  Restore r;
  if (!e.before) return {true, {}, {}, {}};  // inside a container this transaction created: goes with it
  const Knob& knob = *e.knob;
  const std::string& before = *e.before;
  ReadResult cur = knob.read_raw(host);
  if (cur.ok) r.found = cur.data;
  if (cur.ok && cur.data == before) {
    r.ok = true;
    r.restored = before;
    return r;
  }
  WriteOutcome w = knob.restore(host, before);
  if (!w.ok()) {
    r.message = w.message.empty() ? knob.address() + ": " + std::strerror(w.err) : w.message;
    return r;
  }
  ReadResult back = knob.read_raw(host);
  if (!back.ok) {
    r.message = knob.address() + ": cannot read back: " + back.error;
    return r;
  }
  r.restored = back.data;
  // Live kernel files may re-format what they were given; the normal forms must agree.
  r.ok = back.data == before || knob.normalise_raw(back.data) == knob.normalise_raw(before);
  if (!r.ok) r.message = knob.address() + ": read back " + shown(back.data) + " after restoring " + shown(before);
  return r;
}

// Restores `entries` in the order given (newest write first) and records the outcome.
void restore_all(const Host& host, JournalWriter& jw, const std::vector<Entry>& entries, const std::string& cause) {
  json failed = json::array();
  for (const auto& e : entries) {
    Restore r = restore_one(host, e);
    json ev = {{"event", r.ok ? "restored" : "restore-failed"}, {"index", e.index}};
    if (r.found) ev["found_b64"] = base64_encode(*r.found);
    if (r.restored) ev["restored_b64"] = base64_encode(*r.restored);
    if (!r.ok) {
      ev["message"] = r.message;
      failed.push_back(e.index);
    }
    jw.append(ev, false);
  }
  if (failed.empty())
    jw.append({{"event", "state"}, {"state", "rolled-back"}, {"cause", cause}}, true);
  else  // the transaction stays open: the host is in neither the old nor the new state
    jw.append({{"event", "rollback-incomplete"}, {"cause", cause}, {"failed", failed}}, true);
}

std::string rollback_target_error(const JournalRecord& rec) {
  return "transaction " + rec.header.id + " is already rolled back (at " + rec.state_at("rolled-back") +
         "); nothing to do — `tunectl history` lists transactions";
}

// Everything that can refuse, refuses here: before the journal, before any write. Returns the
// entries to write (with their previous bytes) and moves the unsettable ones to `executed.skipped`.
std::vector<Entry> prepare(const Host& host, const Plan& plan, Plan& executed) {
  std::vector<Entry> entries;
  std::set<std::string> planned;  // addresses written earlier in this plan
  for (const Change& c : plan.changes) {
    auto knob = make_knob(c.knob);
    if (auto ro = read_only_mount(host, c.knob)) throw NotPermitted(*ro);
    const auto container = knob->container();
    const bool new_container = container && planned.count(*container);
    planned.insert(c.knob);
    if (!new_container) {
      if (auto why = knob->not_settable(host)) {
        Change s = c;
        s.status = ChangeStatus::kNotSettable;
        s.reason = *why;
        executed.skipped.push_back(std::move(s));
        continue;
      }
    }
    if (auto bad = new_container ? knob->validate(c.value) : knob->validate_for(host, c.value))
      throw InputError(c.knob + ": " + *bad);
    ReadResult before = knob->read_raw(host);
    Entry e{entries.size(), std::move(knob), std::nullopt};
    if (before.ok)
      e.before = std::move(before.data);
    else if (!(new_container && before.err == ENOENT))  // absent until its container is made
      throw ApplyError(c.knob + ": cannot read its current value (" + before.error + "); nothing was written");
    entries.push_back(std::move(e));
    executed.changes.push_back(c);
  }
  return entries;
}

}  // namespace

Transaction apply_plan(const Host& host, const Plan& plan, const std::string& state_dir) {
  FaultInjector fault = FaultInjector::from_env();
  const std::string root = canonical_root(host.root());
  Plan executed = plan;
  executed.root = root;
  executed.changes.clear();
  std::vector<Entry> entries = prepare(host, plan, executed);
  if (entries.empty()) {
    Transaction t = plan_view(executed, root, TxState::kUnchanged);
    t.state_dir = state_dir;
    return t;
  }

  JournalHeader h;
  do {
    h.id = new_transaction_id();
  } while (::access((journal_dir(state_dir) + "/" + h.id + ".journal").c_str(), F_OK) == 0);
  h.profile = plan.profile;
  h.profile_digest = plan.profile_digest;
  h.root = root;
  h.started_at = utc_now();
  h.pid = static_cast<int>(::getpid());
  h.plan = executed;
  for (const auto& e : entries) h.knobs.push_back({e.index, e.knob->address(), executed.changes[e.index].value, e.before});
  JournalWriter jw = JournalWriter::create(state_dir, h);

  for (size_t i = 0; i < entries.size(); ++i) {
    const Knob& knob = *entries[i].knob;
    const std::string& value = executed.changes[i].value;
    // Durable before the write: recovery restores every knob with a mark, so the marks always
    // cover the knobs that may have been written (a marked but unwritten knob is left alone).
    jw.append({{"event", "writing"}, {"index", i}}, true);
    json failed = {{"event", "failed"}, {"index", i}};
    auto fail_errno = [&](int err, const std::string& message) {
      failed["errno"] = err;
      failed["errno_name"] = errno_name(err);
      failed["message"] = message.empty() ? knob.address() + ": " + std::strerror(err) : message;
    };
    WriteOutcome w = knob.write(host, value);
    fault.after_write();
    ReadResult back;
    Effect effect;
    if (!w.ok()) {
      fail_errno(w.err, w.message);
    } else if (back = knob.read_raw(host); !back.ok) {
      fail_errno(back.err, knob.address() + ": cannot read back: " + back.error);
    } else if (!knob.matches(back.data, value)) {
      failed["after_b64"] = base64_encode(back.data);
      failed["message"] = knob.address() + ": wrote " + shown(value) + " but it reads back as " + shown(back.data);
    } else if (effect = knob.check_effect(host, value); effect.status == EffectStatus::kFailed) {
      failed["after_b64"] = base64_encode(back.data);
      failed["message"] = knob.address() + ": the value reads back but has no effect: " + effect.detail;
    } else {
      json ev = {{"event", "written"}, {"index", i}, {"after_b64", base64_encode(back.data)},
                 {"effect", to_string(effect.status)}};
      if (!effect.detail.empty()) ev["effect_detail"] = effect.detail;
      jw.append(ev, false);  // the next durable append or the state line carries it to disk
      continue;
    }
    jw.append(failed, true);
    std::vector<Entry> undo;  // newest first, the failing knob included: its write may have landed
    for (size_t k = i + 1; k-- > 0;) undo.push_back(std::move(entries[k]));
    restore_all(host, jw, undo, "apply failed");
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
  std::vector<Entry> undo;
  const auto attempted = rec.attempted();
  for (auto it = attempted.rbegin(); it != attempted.rend(); ++it) {
    if (*it >= rec.header.knobs.size())
      throw TransactionError(rec.path + ": writing mark for unknown knob index " + std::to_string(*it));
    const JournalKnob& k = rec.header.knobs[*it];
    // make_knob re-checks the allowlist: an edited journal cannot name any other file.
    undo.push_back({k.index, make_knob(k.knob), k.before});
  }
  JournalWriter jw = JournalWriter::reopen(rec.path);
  restore_all(host, jw, undo, cause);
  return transaction_from_record(load_journal(rec.path), state_dir);
}

std::string already_rolled_back_message(const JournalRecord& rec) { return rollback_target_error(rec); }

}  // namespace tunectl
