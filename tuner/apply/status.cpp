// tunectl status (status.h): the journals' transactions in effect, checked knob by knob against
// the host, plus what is open or unreadable. Reads only.
#include "tuner/apply/status.h"

#include "core/errors.h"
#include "core/host.h"
#include "tuner/apply/command_hint.h"
#include "tuner/apply/journal.h"
#include "tuner/apply/knob_identity.h"
#include "tuner/apply/persist.h"
#include "tuner/apply/state_dir.h"
#include "tuner/apply/transaction.h"
#include "tuner/knobs/knob.h"

namespace tunectl {
namespace {

StatusCheck check_knob(const Host& host, const std::string& address, const std::string& written) {
  StatusCheck c{address, written, std::nullopt, "ok", ""};
  try {
    const auto knob = make_knob(address);  // re-checks the allowlist: an edited journal names no other file
    const ReadResult now = knob->read_raw(host);
    if (!now.ok) {
      c.status = "missing";
      c.detail = now.error;
      return c;
    }
    c.current = now.data;
    if (!knob->matches(now.data, written)) {
      c.status = "drift";
    } else if (knob->takes_effect_at_boot()) {  // configured for the next boot: did this boot get it?
      if (auto waiting = knob->awaiting_reboot(host, written)) {
        c.status = "pending-reboot";
        c.detail = *waiting;
      }
    }
  } catch (const Error& e) {
    c.status = "missing";
    c.detail = e.what();
  }
  return c;
}

std::string boot_id(const json& identity) {
  return identity.is_object() && identity.contains("boot_id") && identity["boot_id"].is_string()
             ? identity["boot_id"].get<std::string>()
             : "";
}

}  // namespace

HostStatus host_status(const std::string& root, const std::optional<std::string>& state_dir) {
  const Host host = host_for_root(root);
  HostStatus s;
  s.root = canonical_root(root);
  s.state_dir = state_dir_for(s.root, state_dir);
  s.persisted = persisted_status(s.root);
  // scan_journals reports unreadable records instead of throwing; a record that reads but whose
  // view fails (transaction_from_record) is reported the same way rather than failing status.
  JournalSet set = scan_journals(s.state_dir);
  for (const auto& c : set.corrupt) s.corrupt.push_back({c.id, c.path, c.reason});
  const std::string now_boot = boot_id(host_identity(host));

  std::vector<std::pair<const JournalRecord*, Transaction>> applied;
  for (const auto& rec : set.records) {
    if (rec.header.root != s.root) continue;  // another root's record in a shared --state-dir
    Transaction t;
    try {
      t = transaction_from_record(rec, s.state_dir);
    } catch (const Error& e) {
      s.corrupt.push_back({rec.header.id, rec.path, e.what()});
      continue;
    }
    const std::string state = rec.state();
    if (state == "open") {
      s.open.push_back({rec.header.id, rec.header.profile, rec.header.started_at, rec.attempted().size(),
                        t.error.value_or(""), tunectl_command({"rollback", "--to", rec.header.id}, s.root, s.state_dir)});
    } else if (state == "applied") {
      applied.emplace_back(&rec, std::move(t));
    }
  }

  // Who wrote each knob last: a later transaction in effect, or an open one that may have.
  std::map<std::string, std::string> last_writer;
  for (const auto& [rec, t] : applied)
    for (const auto& c : t.changes)
      if (c.status == TxChangeStatus::kWritten) last_writer[c.knob] = rec->header.id;
  std::map<std::string, std::string> open_writer;
  for (const auto& rec : set.records)
    if (rec.header.root == s.root && rec.state() == "open")
      for (size_t i : rec.attempted())
        if (i < rec.header.knobs.size()) open_writer[rec.header.knobs[i].knob] = rec.header.id;

  for (const auto& [rec, t] : applied) {
    StatusEntry e;
    e.id = rec->header.id;
    e.profile = rec->header.profile;
    e.profile_digest = rec->header.profile_digest;
    e.applied_at = rec->state_at("applied");
    e.seq = rec->header.seq;
    const std::string then_boot = boot_id(rec->header.identity);
    e.earlier_boot = !then_boot.empty() && !now_boot.empty() && then_boot != now_boot;
    for (const auto& c : t.changes) {
      if (c.status != TxChangeStatus::kWritten) continue;
      ++e.knobs;
      StatusCheck check;
      if (auto o = open_writer.find(c.knob); o != open_writer.end()) {
        check = {c.knob, c.value, std::nullopt, "superseded", "may have been written by open transaction " + o->second};
      } else if (last_writer[c.knob] != e.id) {
        check = {c.knob, c.value, std::nullopt, "superseded", "written again by " + last_writer[c.knob]};
      } else {
        check = check_knob(host, c.knob, c.value);
      }
      ++s.summary[check.status];
      if (check.status == "drift" || check.status == "missing") s.matches = false;
      e.checks.push_back(std::move(check));
    }
    s.stack.push_back(std::move(e));
  }
  std::string waiting;
  for (const auto& e : s.stack)
    for (const auto& c : e.checks)
      if (c.status == "pending-reboot") waiting += (waiting.empty() ? "" : ", ") + c.knob;
  s.reboot_pending = !waiting.empty();
  s.reboot_note = s.reboot_pending ? "configured for the next boot, not in the running kernel: " + waiting
                                   : "no boot-time setting waits for a reboot";
  return s;
}

int status_exit_code(const HostStatus& s) {
  if (!s.open.empty() || !s.corrupt.empty()) return kExitOpenTransaction;
  return s.matches ? kExitOk : kExitDrift;
}

void to_json(json& j, const HostStatus& s) {
  json stack = json::array(), open = json::array(), corrupt = json::array();
  for (const auto& e : s.stack) {
    json checks = json::array();
    for (const auto& c : e.checks)
      checks.push_back({{"knob", c.knob}, {"written", c.written}, {"current", c.current ? json(*c.current) : json()},
                        {"status", c.status}, {"detail", c.detail}});
    stack.push_back({{"id", e.id}, {"profile", e.profile}, {"profile_digest", e.profile_digest},
                     {"applied_at", e.applied_at}, {"seq", e.seq}, {"knobs", e.knobs},
                     {"earlier_boot", e.earlier_boot}, {"checks", checks}});
  }
  for (const auto& o : s.open)
    open.push_back({{"id", o.id}, {"profile", o.profile}, {"started_at", o.started_at}, {"attempted", o.attempted},
                    {"error", o.error.empty() ? json() : json(o.error)}, {"recover", o.recover}});
  for (const auto& c : s.corrupt) corrupt.push_back({{"id", c.id}, {"journal", c.journal}, {"error", c.error}});
  j = {{"schema", "tunectl.status/1"},
       {"root", s.root},
       {"state_dir", s.state_dir},
       {"matches", s.matches},
       {"summary", s.summary},
       {"stack", stack},
       {"open", open},
       {"corrupt", corrupt},
       {"reboot_pending", s.reboot_pending},
       {"reboot_note", s.reboot_note},
       {"persisted", s.persisted},
       {"exit_code", status_exit_code(s)}};
}

std::vector<std::string> open_transaction_warnings(const std::string& root,
                                                   const std::optional<std::string>& state_dir) {
  std::vector<std::string> out;
  try {
    const std::string canon = canonical_root(root);
    const std::string dir = state_dir_for(canon, state_dir);
    const JournalSet set = scan_journals(dir);
    for (const auto& rec : set.records)
      if (rec.header.root == canon && rec.state() == "open")
        out.push_back("transaction " + rec.header.id + " (profile " + rec.header.profile +
                      ") is open (an interrupted apply or audit): the host may be part-way through it; recover with `" +
                      tunectl_command({"rollback", "--to", rec.header.id}, canon, dir) + "`");
    for (const auto& c : set.corrupt)
      out.push_back("journal " + c.id + " is corrupt (" + c.reason + "): it may hide an open transaction; see `" +
                    tunectl_command({"status"}, canon, dir) + "`");
  } catch (const Error&) {
    // Not readable by this user, or not safe: apply and status report that themselves.
  }
  return out;
}

}  // namespace tunectl
