#include "tuner/apply/transaction.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include "core/errors.h"
#include "probes/snapshot.h"
#include "tuner/apply/fault_injection.h"
#include "tuner/knobs/knob.h"
#include "tuner/plan/planner.h"
#include "tuner/profile/profile.h"
#include "tuner/apply/state_lock.h"

namespace tunectl {
namespace {

constexpr const char* kLiveStateDir = "/var/lib/tunectl";

std::string errno_name(int err) {
  const char* name = ::strerrorname_np(err);
  return name ? name : "errno " + std::to_string(err);
}

// Raw bytes as a quoted, escaped string for messages ("60\n" shows its newline).
std::string shown(const std::string& raw) { return json(raw).dump(-1, ' ', false, json::error_handler_t::replace); }

// Raw bytes as JSON text: kernel files are ASCII, but a stray byte must not break the output.
std::string utf8_safe(const std::string& raw) { return json::parse(shown(raw)).get<std::string>(); }

std::string address_kind(const std::string& address) { return address.substr(0, address.find(':')); }

// Where each knob kind's files live: a read-only mount there (a container's /proc/sys) means no
// write can succeed, so apply stops before touching anything instead of failing half-way.
std::optional<std::string> read_only_mount(const Host& host, const std::string& address) {
  static const std::map<std::string, std::string> kMounts = {
      {"sysctl", "/proc/sys"},       {"irq", "/proc/irq"},
      {"thp", "/sys/kernel/mm/transparent_hugepage"},
      {"rps", "/sys/class/net"},     {"rps_flow", "/sys/class/net"},
      {"xps", "/sys/class/net"},     {"cgroup", "/sys/fs/cgroup"}};
  auto it = kMounts.find(address_kind(address));
  if (it == kMounts.end()) return std::nullopt;
  struct statvfs vfs;
  if (::statvfs(host.resolve(it->second).c_str(), &vfs) != 0 || !(vfs.f_flag & ST_RDONLY)) return std::nullopt;
  return it->second + " is mounted read-only (a container?): " + address + " cannot be written; nothing was written";
}

struct Entry {
  size_t index;
  std::unique_ptr<Knob> knob;
  std::string action;                 // "write" or "mkdir"
  std::optional<std::string> before;  // see JournalKnob::before
  bool created = true;                // mkdir: false when the group already existed at write time
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
  const Knob& knob = *e.knob;
  if (e.action == "mkdir") {
    if (!e.created) return {true, {}, {}, {}};
    WriteOutcome w = remove_cgroup_dir(host, knob.address());
    r.ok = w.ok() || w.err == ENOENT;  // ENOENT: the crash came before the mkdir
    r.message = w.message;
    return r;
  }
  if (!e.before) return {true, {}, {}, {}};  // inside a group this transaction created: goes with it
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

std::string cgroup_group(const std::string& address) { return address.substr(0, address.rfind(':')); }

TxChange change_view(size_t index, const Change& c) {
  TxChange t;
  t.index = index;
  t.knob = c.knob;
  t.value = c.value;
  t.current = c.current;
  t.desired = c.desired;
  t.why = c.why;
  t.source = c.source;
  t.per_netns = c.per_netns;
  t.action = c.action;
  return t;
}

Transaction plan_view(const Plan& plan, const std::string& root, const std::string& state) {
  Transaction t;
  t.state = state;
  t.profile = plan.profile;
  t.profile_digest = plan.profile_digest;
  t.root = root;
  for (size_t i = 0; i < plan.changes.size(); ++i) {
    t.changes.push_back(change_view(i, plan.changes[i]));
    t.changes.back().status = "planned";
  }
  t.already = plan.already;
  t.skipped = plan.skipped;
  return t;
}

std::string rollback_target_error(const JournalRecord& rec) {
  return "transaction " + rec.header.id + " is already rolled back (at " + rec.state_at("rolled-back") +
         "); nothing to do — `tunectl history` lists transactions";
}

}  // namespace

void to_json(json& j, const TxChange& c) {
  auto text = [](const std::optional<std::string>& raw) -> json { return raw ? json(utf8_safe(*raw)) : json(nullptr); };
  j = {{"index", c.index},   {"knob", c.knob},  {"action", c.action}, {"value", c.value},
       {"current", c.current}, {"desired", c.desired}, {"why", c.why},
       {"source", c.source},   {"per_netns", c.per_netns}, {"status", c.status},
       {"before", text(c.before)}, {"after", text(c.after)}, {"found", text(c.found)},
       {"restored", text(c.restored)}, {"effect", c.effect}, {"effect_detail", c.effect_detail},
       {"error", c.error}};
}

void to_json(json& j, const Transaction& t) {
  j = {{"id", t.id},
       {"state", t.state},
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
       {"error", t.error}};
}

json summary_json(const Transaction& t) {
  size_t written = 0;
  for (const auto& c : t.changes)
    if (c.status != "not-written" && c.status != "planned") ++written;
  return {{"id", t.id},
          {"started_at", t.started_at},
          {"finished_at", t.finished_at},
          {"rolled_back_at", t.rolled_back_at},
          {"profile", t.profile},
          {"profile_digest", t.profile_digest},
          {"root", t.root},
          {"state", t.state},
          {"changes", t.changes.size()},
          {"written", written},
          {"error", t.error}};
}

std::string canonical_root(const std::string& root) {
  char buf[PATH_MAX];
  struct stat st;
  if (!::realpath(root.c_str(), buf) || ::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
    throw InputError("--root " + root + ": not a directory");
  return buf;
}

std::string default_state_dir(const std::string& canonical_root) {
  if (canonical_root == "/") return kLiveStateDir;
  // FNV-1a: a stable, dependency-free key; the name part keeps the directory readable.
  unsigned long long h = 1469598103934665603ULL;
  for (unsigned char c : canonical_root) h = (h ^ c) * 1099511628211ULL;
  std::string name = canonical_root.substr(canonical_root.find_last_of('/') + 1);
  for (char& c : name)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  char hex[20];
  std::snprintf(hex, sizeof hex, "%016llx", h);
  return std::string(kLiveStateDir) + "/roots/" + name + "-" + hex;
}

std::string state_dir_for(const std::string& root, const std::optional<std::string>& state_dir) {
  return state_dir ? *state_dir : default_state_dir(canonical_root(root));
}

void require_write_permission(const Host& host) {
  if (host.is_live() && ::geteuid() != 0) throw NotPermitted("needs root (try sudo); nothing was written");
}

Transaction transaction_from_record(const JournalRecord& rec, const std::string& state_dir) {
  const JournalHeader& h = rec.header;
  Transaction t = plan_view(h.plan, h.root, rec.state());
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
    t.changes[i].action = h.knobs[i].action;
    t.changes[i].before = h.knobs[i].before;
    t.changes[i].status = "not-written";
  }
  auto decode = [](const json& ev, const char* key) -> std::optional<std::string> {
    if (!ev.contains(key)) return std::nullopt;
    return base64_decode(ev.at(key).get<std::string>());
  };
  std::optional<std::string> apply_error, rollback_error;
  for (const auto& ev : rec.events) {
    const std::string kind = ev.value("event", "");
    if (kind == "rollback-incomplete") {
      rollback_error = "rollback (" + ev.value("cause", "") + ") incomplete: " + std::to_string(ev.at("failed").size()) +
                       " knob(s) could not be restored; the transaction stays open — fix the cause and run "
                       "`tunectl rollback`";
      continue;
    }
    if (kind == "state") {
      rollback_error.reset();  // a later complete rollback supersedes an incomplete one
      continue;
    }
    if (!ev.contains("index")) continue;
    const size_t i = ev.at("index").get<size_t>();
    if (i >= t.changes.size()) throw TransactionError(rec.path + ": event for unknown knob index " + std::to_string(i));
    TxChange& c = t.changes[i];
    if (kind == "writing") {
      c.status = "attempted";
    } else if (kind == "written") {
      c.status = "written";
      c.after = decode(ev, "after_b64");
      c.effect = ev.value("effect", "n/a");
      if (ev.contains("effect_detail")) c.effect_detail = ev.at("effect_detail").get<std::string>();
    } else if (kind == "failed") {
      c.status = "failed";
      c.after = decode(ev, "after_b64");
      c.error = ev.value("message", "");
      std::string why = *c.error;
      if (why.rfind(c.knob + ": ", 0) == 0) why.erase(0, c.knob.size() + 2);  // named once is enough
      apply_error = "apply failed at " + c.knob + " (" + ev.value("errno_name", "no errno") + "): " + why;
    } else if (kind == "restored" || kind == "restore-failed") {
      c.status = kind;
      c.found = decode(ev, "found_b64");
      c.restored = decode(ev, "restored_b64");
      if (ev.contains("message")) c.error = ev.at("message").get<std::string>();
    }
  }
  t.error = rollback_error ? rollback_error : apply_error;
  return t;
}

Transaction apply_plan(const Host& host, const Plan& plan, const std::string& state_dir) {
  FaultInjector fault = FaultInjector::from_env();
  const std::string root = canonical_root(host.root());

  // Everything that can refuse, refuses here: before the journal, before any write.
  Plan executed = plan;
  executed.root = root;
  executed.changes.clear();
  std::vector<Entry> entries;
  std::set<std::string> new_groups;  // cgroups this plan creates: their files do not exist yet
  for (const Change& c : plan.changes) {
    auto knob = make_knob(c.knob);
    if (auto ro = read_only_mount(host, c.knob)) throw NotPermitted(*ro);
    Entry e{entries.size(), nullptr, c.action, std::nullopt};
    if (c.action == "mkdir") {
      new_groups.insert(cgroup_group(c.knob));
    } else if (c.action != "write") {
      throw InputError(c.knob + ": unknown plan action '" + c.action + "'");
    } else if (new_groups.count(cgroup_group(c.knob))) {
      if (auto bad = knob->validate(c.value)) throw InputError(c.knob + ": " + *bad);
    } else {
      if (auto why = knob->not_settable(host)) {
        Change s = c;
        s.status = "not-settable";
        s.reason = *why;
        executed.skipped.push_back(std::move(s));
        continue;
      }
      if (auto bad = knob->validate_for(host, c.value)) throw InputError(c.knob + ": " + *bad);
      ReadResult before = knob->read_raw(host);
      if (!before.ok)
        throw ApplyError(c.knob + ": cannot read its current value (" + before.error + "); nothing was written");
      e.before = std::move(before.data);
    }
    e.knob = std::move(knob);
    entries.push_back(std::move(e));
    executed.changes.push_back(c);
  }
  if (entries.empty()) {
    Transaction t = plan_view(executed, root, "unchanged");
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
  for (const auto& e : entries)
    h.knobs.push_back({e.index, e.knob->address(), e.action, executed.changes[e.index].value, e.before});
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
    if (entries[i].action == "mkdir") {
      CgroupDirOutcome o = make_cgroup_dir(host, knob.address());
      fault.after_write();
      if (o.ok()) {
        entries[i].created = o.created;
        jw.append({{"event", "written"}, {"index", i}, {"created", o.created}, {"dir", o.dir}}, false);
        continue;
      }
      entries[i].created = false;  // a failed make_cgroup_dir leaves no directory behind
      fail_errno(o.err, o.message);
    } else {
      WriteOutcome w = knob.write(host, value);
      fault.after_write();
      ReadResult back;
      Effect effect;
      if (!w.ok()) {
        fail_errno(w.err, w.message);
      } else if (back = knob.read_raw(host); !back.ok) {
        fail_errno(back.err, knob.address() + ": cannot read back: " + back.error);
      } else if (knob.normalise_raw(back.data) != knob.normalise(value)) {
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
    undo.push_back({k.index, make_knob(k.knob), k.action, k.before});
  }
  // A mkdir that found its group already there created nothing; without a "written" event (a
  // crash right after the mkdir) the group is removed, as the planner saw it absent.
  for (const auto& ev : rec.events)
    if (ev.value("event", "") == "written" && ev.contains("created") && !ev.at("created").get<bool>())
      for (auto& e : undo)
        if (e.index == ev.at("index").get<size_t>()) e.created = false;
  JournalWriter jw = JournalWriter::reopen(rec.path);
  restore_all(host, jw, undo, cause);
  return transaction_from_record(load_journal(rec.path), state_dir);
}

Transaction apply_profile(const ApplyRequest& req) {
  const std::string root = canonical_root(req.root);
  Host host(root);
  Profile profile = load_profile(req.profile);
  if (req.dry_run) {
    Plan plan = make_plan(host, plan_snapshot(host), profile);
    return plan_view(plan, root, "dry-run");
  }
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
    if (back.state != "rolled-back") throw TransactionError("recovering " + it->header.id + ": " + *back.error + "; nothing new was applied");
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
      throw TransactionError(rollback_target_error(records.back()) + "; `--to ID` rolls back an earlier one");
    targets.push_back(&records.back());
  } else {
    size_t pos = records.size();
    for (size_t i = 0; i < records.size(); ++i)
      if (records[i].header.id == *req.to) pos = i;
    if (pos == records.size())
      throw TransactionError("no transaction " + *req.to + " in " + state_dir + " (see `tunectl history`)");
    if (records[pos].state() == "rolled-back") throw TransactionError(rollback_target_error(records[pos]));
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
    if (out.back().state != "rolled-back") break;
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
