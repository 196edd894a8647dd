// tunectl status: the profiles in effect (a stack of transactions), whether the host still holds
// what they wrote, open transactions and pending reboots (tuner/apply/status.h). Read-only.
#include <iostream>

#include "core/json_text.h"
#include "core/table.h"
#include "cli/common_options.h"
#include "cli/verb.h"
#include "tuner/apply/status.h"

namespace tunectl::cli {
namespace {

const char* kNotes =
    "Reads the journals of the state dir, never a profile file: the transactions in effect (applied,\n"
    "not rolled back), oldest first; a profile applied on top of another is a second entry. For each\n"
    "knob they wrote: ok (the host holds the value written), drift (FOUND shows what it holds),\n"
    "missing (the file is gone or unreadable), superseded (a later transaction wrote it). Open\n"
    "transactions (an interrupted apply or audit) are listed with the command that recovers them;\n"
    "corrupt journals with the reason. Takes no lock and writes nothing.\n"
    "--json prints schema tunectl.status/1: root, state_dir, matches, summary, stack[{id, profile,\n"
    "profile_digest, applied_at, seq, knobs, earlier_boot, checks[{knob, written, current, status,\n"
    "detail}]}], open[{id, profile, started_at, attempted, error, recover}], corrupt[{id, journal,\n"
    "error}], reboot_pending, reboot_note, persisted{persisted, enabled, record, link, profile, digest,\n"
    "source, persisted_at, source_matches, source_digest, source_error}, exit_code.\n"
    "persisted: whether `apply --persist` recorded a profile for boot, and whether the file it came\n"
    "from still resolves to that body (it does not change the exit code).\n\n"
    "exit: 0 everything in effect holds and nothing is open, 1 drift or missing, 2 a bad option,\n"
    "      3 not permitted (unsafe state dir), 6 an open transaction or a corrupt journal (apply\n"
    "      would refuse; recover first)\n";

// "persisted: ..." (tuner/apply/persist.h persisted_status).
void print_persisted(std::ostream& out, const json& p) {
  if (p.contains("error")) {
    out << "persisted: unreadable: " << p["error"].get<std::string>() << "\n";
    return;
  }
  if (!p.value("persisted", false)) {
    const bool enabled = p.value("enabled", false);
    out << "persisted: no" << (enabled ? " (but tunectl-boot.service is enabled: `tunectl boot` will fail)" : "")
        << "\n";
    return;
  }
  const std::string digest = p["digest"].get<std::string>();
  out << "persisted: " << p["profile"].get<std::string>() << " (sha256 " << digest.substr(0, 12) << "), "
      << (p.value("enabled", false) ? "applied at boot by tunectl-boot.service" : "NOT enabled (no unit link)") << "\n"
      << "  source " << p["source"].get<std::string>() << ": ";
  if (p["source_matches"].is_null())
    out << "cannot be read (" << p.value("source_error", "") << ")\n";
  else if (p["source_matches"].get<bool>())
    out << "matches the persisted body\n";
  else
    out << "CHANGED since it was persisted (now sha256 " << p["source_digest"].get<std::string>().substr(0, 12)
        << "); persist again to boot with it\n";
}

void print_status(std::ostream& out, const HostStatus& s) {
  out << "status: " << root_label(s.root) << ", state dir " << s.state_dir << "\n";
  if (s.stack.empty()) out << "\nno transaction in effect\n";
  for (size_t i = 0; i < s.stack.size(); ++i) {
    const auto& e = s.stack[i];
    out << "\n" << (i + 1) << ". transaction " << e.id << ": profile " << e.profile << " (sha256 "
        << e.profile_digest.substr(0, 12) << "), applied " << e.applied_at << ", " << e.knobs << " knob(s)"
        << (i ? ", on top of " + s.stack[i - 1].id : std::string()) << "\n";
    if (e.earlier_boot) out << "   applied before the last reboot: the reboot reset its runtime settings\n";
    Table t({{"KNOB"}, {"WRITTEN"}, {"FOUND"}, {"STATUS"}, {"DETAIL"}});
    for (const auto& c : e.checks) t.add_row({c.knob, c.written, one_line(c.current), c.status, c.detail});
    if (t.rows()) t.print(out, "   ");
  }
  std::string summary;
  for (const auto& [status, n] : s.summary) summary += (summary.empty() ? "" : ", ") + std::to_string(n) + " " + status;
  if (!s.stack.empty()) out << "\n" << (s.matches ? "MATCHES" : "DRIFT") << ": " << summary << "\n";
  for (const auto& o : s.open)
    out << "\nOPEN: transaction " << o.id << " (profile " << o.profile << ", started " << o.started_at << ", "
        << o.attempted << " knob(s) may have been written)" << (o.error.empty() ? "" : ": " + o.error)
        << "\n  recover with: " << o.recover << "\n";
  for (const auto& c : s.corrupt) out << "\nCORRUPT: journal " << c.id << ": " << c.error << "\n";
  out << "\nreboot pending: " << (s.reboot_pending ? "yes" : "no") << " (" << s.reboot_note << ")\n";
  print_persisted(out, s.persisted);
}

int run_status(const std::vector<std::string>& args) {
  po::options_description opts("status options");
  add_common(opts, kRoot | kStateDir | kJson);
  po::variables_map vm;
  if (!parse_options("status", "[--root DIR] [--state-dir DIR] [--json]\n\n" + std::string(kNotes), opts, args, vm))
    return 0;
  const Common common = read_common(vm);
  const HostStatus s = host_status(common.root, common.state_dir);
  if (common.json)
    std::cout << dump_json(json(s), 2) << "\n";
  else
    print_status(std::cout, s);
  return status_exit_code(s);
}

}  // namespace

Verb verb_status() { return {"status", "the profiles in effect, drift, open transactions, pending reboot (read-only)", run_status}; }

}  // namespace tunectl::cli
