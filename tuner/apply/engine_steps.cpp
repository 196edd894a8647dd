#include "tuner/apply/engine_steps.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "core/errno_name.h"
#include "core/errors.h"
#include "tuner/apply/knob_identity.h"
#include "tuner/apply/transaction.h"

namespace tunectl::engine {
namespace {

// A read-only mount where a kind's files live (a container's /proc/sys) means no write can
// succeed, so apply stops before touching anything instead of failing half-way.
std::optional<std::string> read_only_mount(const Host& host, const std::string& address) {
  const std::string& dir = knob_kind_of(address).kernel_dir;
  if (dir.empty()) return std::nullopt;
  struct statvfs vfs;
  if (::statvfs(host.resolve(dir).c_str(), &vfs) != 0 || !(vfs.f_flag & ST_RDONLY)) return std::nullopt;
  return dir + " is mounted read-only (a container?): " + address + " cannot be written; nothing was written";
}

}  // namespace

std::string shown(const std::string& raw) { return json(raw).dump(-1, ' ', false, json::error_handler_t::replace); }

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

json restore_event(const Entry& e, const Restore& r) {
  json ev = {{"event", r.ok ? "restored" : "restore-failed"}, {"index", e.index}};
  if (r.found) ev["found_b64"] = base64_encode(*r.found);
  if (r.restored) ev["restored_b64"] = base64_encode(*r.restored);
  if (!r.ok) ev["message"] = r.message;
  return ev;
}

std::vector<AfterWrites> after_writes_of(const std::vector<const Entry*>& entries) {
  std::vector<AfterWrites> out;
  for (const Entry* e : entries) {
    const KnobKind& kind = knob_kind_of(e->knob->address());
    if (!kind.after_writes) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const AfterWrites& a) { return a.kind == &kind; });
    if (it == out.end())
      out.push_back({&kind, e->index});
    else
      it->last_index = std::max(it->last_index, e->index);
  }
  return out;
}

json run_after_writes(const Host& host, const AfterWrites& a, const char* failed_event) {
  const WriteOutcome w = a.kind->after_writes(host);
  if (w.ok()) return {{"event", "after-writes"}, {"kind", a.kind->prefix}, {"message", w.message}};
  return {{"event", failed_event}, {"index", a.last_index}, {"errno", w.err}, {"errno_name", errno_name(w.err)},
          {"message", w.message}};
}

std::optional<std::string> restore_all(const Host& host, JournalWriter& jw, const std::vector<Entry>& entries,
                                       const std::string& cause, const std::string& note) {
  json failed = json::array();
  std::optional<std::string> journal_error;
  // A journal that cannot take an event (no space beyond its reservation, an I/O error) must not
  // stop the restore: every knob is restored first-to-last regardless, and the record stays open.
  auto record = [&](const json& ev, bool durable) {
    if (journal_error) return;
    try {
      jw.append(ev, durable);
    } catch (const Error& e) {
      journal_error = e.what();
    }
  };
  std::vector<const Entry*> changed;  // the knobs whose files this restore wrote
  for (const auto& e : entries) {
    const Restore r = restore_one(host, e);
    if (!r.ok) failed.push_back(e.index);
    if (!r.ok || !r.found || r.found != r.restored) changed.push_back(&e);
    record(restore_event(e, r), false);
  }
  for (const auto& a : after_writes_of(changed)) {
    const json ev = run_after_writes(host, a, "restore-failed");
    if (ev["event"] == "restore-failed") failed.push_back(a.last_index);
    record(ev, false);
  }
  if (failed.empty()) {
    json state = {{"event", "state"}, {"state", "rolled-back"}, {"cause", cause}};
    if (!note.empty()) state["note"] = note;
    record(state, true);
  } else {  // the transaction stays open: the host is in neither the old nor the new state
    record({{"event", "rollback-incomplete"}, {"cause", cause}, {"failed", failed}}, true);
  }
  return journal_error;
}

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
    if (auto bad = new_container ? knob->validate(c.value) : knob->validate_for(host, c.value)) {
      InputError err(c.knob + ": " + *bad);
      err.set_knob(c.knob);
      throw err;
    }
    ReadResult before = knob->read_raw(host);
    Entry e{entries.size(), std::move(knob), std::nullopt};
    if (before.ok)
      e.before = std::move(before.data);
    else if (!(new_container && before.err == ENOENT))  // absent until its container is made
    {
      ApplyError err(c.knob + ": cannot read its current value (" + before.error + "); nothing was written");
      err.set_knob(c.knob);
      throw err;
    }
    entries.push_back(std::move(e));
    executed.changes.push_back(c);
  }
  return entries;
}

JournalHeader make_header(const Host& host, const Plan& executed, const std::vector<Entry>& entries,
                          const std::string& state_dir) {
  JournalHeader h;
  do {
    h.id = new_transaction_id();
  } while (::access((journal_dir(state_dir) + "/" + h.id + ".journal").c_str(), F_OK) == 0);
  h.profile = executed.profile;
  h.profile_digest = executed.profile_digest;
  h.root = canonical_root(host.root());
  h.started_at = utc_now();
  h.pid = static_cast<int>(::getpid());
  h.identity = host_identity(host);
  h.plan = executed;
  IdentityReader ids(host);
  for (const auto& e : entries)
    h.knobs.push_back({e.index, e.knob->address(), executed.changes[e.index].value, e.before, ids.of(*e.knob)});
  return h;
}

Transaction close_unwritten(const Host& host, const JournalRecord& rec, const std::string& state_dir,
                            const std::string& cause, const std::string& note) {
  std::vector<Entry> kept;  // newest first, as a rollback restores
  const auto attempted = rec.attempted();
  for (auto it = attempted.rbegin(); it != attempted.rend(); ++it) {
    if (*it >= rec.header.knobs.size()) continue;
    const JournalKnob& k = rec.header.knobs[*it];
    auto knob = make_knob(k.knob);  // re-checks the allowlist
    if (knob->takes_effect_at_boot()) kept.push_back({k.index, std::move(knob), k.before});
  }
  JournalWriter jw = JournalWriter::reopen(rec.path, journal_pass_bytes(rec.header));
  const std::string full_note =
      kept.empty() ? note
                   : note + "; except its " + std::to_string(kept.size()) +
                         " boot-time setting(s) (kernel parameters), which are files a reboot keeps: those were restored";
  if (kept.empty())
    jw.append({{"event", "state"}, {"state", "rolled-back"}, {"cause", cause}, {"note", full_note}}, true);
  else if (auto journal_error = restore_all(host, jw, kept, cause, full_note))
    throw TransactionError(rec.path + ": " + *journal_error);
  Transaction t = transaction_from_record(load_journal(rec.path), state_dir);
  if (t.state == TxState::kRolledBack) t.note = full_note;
  return t;
}

json write_one(const Host& host, const Entry& e, const std::string& value) {
  const Knob& knob = *e.knob;
  json failed = {{"event", "failed"}, {"index", e.index}};
  auto fail_errno = [&](int err, const std::string& message) {
    failed["errno"] = err;
    failed["errno_name"] = errno_name(err);
    failed["message"] = message.empty() ? knob.address() + ": " + std::strerror(err) : message;
  };
  const WriteOutcome w = knob.write(host, value);
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
    json ev = {{"event", "written"}, {"index", e.index}, {"after_b64", base64_encode(back.data)},
               {"effect", to_string(effect.status)}};
    if (!effect.detail.empty()) ev["effect_detail"] = effect.detail;
    return ev;
  }
  return failed;
}

}  // namespace tunectl::engine
