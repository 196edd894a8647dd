// tunectl apply: plan a profile and apply it as one crash-safe transaction (tuner/transaction.h).
#include <unistd.h>

#include <iostream>

#include "core/errors.h"
#include "core/json_text.h"
#include "core/table.h"
#include "cli/common_options.h"
#include "cli/plan_view.h"
#include "cli/verb.h"
#include "tuner/apply/command_hint.h"
#include "tuner/apply/fault_injection.h"
#include "tuner/apply/persist.h"
#include "tuner/apply/transaction.h"
#include "tuner/plan/plan_review.h"
#include "tuner/plan/planner.h"

namespace tunectl::cli {
namespace {

const char* kUsage =
    "-p PROFILE [--root DIR] [--state-dir DIR] [--dry-run] [--yes] [--recover] [--persist] [--wait[=S]]\n"
    "             [--strict] [--expect-plan DIGEST | --plan FILE] [--json]";

const char* kNotes =
    "Before the first write the journal (STATE/transactions/<id>.journal) holds every knob's exact\n"
    "previous bytes; each knob is read back and its effect checked; the first failure rolls back\n"
    "everything written, in reverse, and exits 4. An interrupted apply leaves the transaction open:\n"
    "apply then refuses (exit 6) until `tunectl rollback` or `apply --recover` restores it.\n"
    "One apply or rollback at a time per state dir: a second one is refused at once (exit 5), or\n"
    "waits for the lock with --wait (forever) or --wait=SECONDS; it plans once it has the lock.\n\n"
    "Skipped settings (a missing file, a managed IRQ) and warnings (a NIC glob matching nothing, an\n"
    "IRQ that does not exist, a root with no /proc or /sys) are printed and the rest is applied;\n"
    "--strict refuses the whole apply instead (exit 1, nothing written). `verify --strict` agrees.\n"
    "Reviewed plans: `tunectl plan --json` prints the plan's \"digest\"; --expect-plan DIGEST (or\n"
    "--plan FILE, that JSON saved) applies only if the plan made under the lock is the same —\n"
    "same knobs, same current values, same values to write — else exits 1 listing the difference.\n\n"
    "State dir: /var/lib/tunectl for the live host; for --root DIR, /var/lib/tunectl/roots/<name>-<hash>\n"
    "of DIR's real path, so a captured tree's transactions never mix with the live host's.\n"
    "Permissions: the live host needs root (exit 3 otherwise, nothing written); a captured tree\n"
    "needs only write access to its files and to the state dir. A read-only /proc/sys or /sys\n"
    "(containers) is detected before anything is written: exit 3.\n"
    "Confirmation: on a terminal, apply shows the plan (as `tunectl plan` does) and asks; when stdin\n"
    "is not a terminal, --yes is required (exit 2 otherwise). --dry-run prints that same plan and\n"
    "needs neither root nor --yes. With --json, stdout holds only the transaction (state \"dry-run\"\n"
    "for a dry run) and the confirmation goes to stderr.\n"
    "Disk space: the journal reserves room for every event of the apply and its rollback before the\n"
    "first write; a disk or quota without it fails the apply with exit 4, nothing written. A journal\n"
    "that cannot be read (corrupt) may hide an open transaction: apply refuses (exit 6) until it is\n"
    "moved out of STATE/transactions.\n\n";

// Only test builds have the switch (tuner/apply/fault_injection.h); the installed one does not.
const char* kTestSwitch =
    "Test switch (crash-safety tests only; this is a test build): TUNECTL_FAULT_AFTER_WRITES=k ends\n"
    "the process right after the k-th knob write; TUNECTL_FAULT_ACTION=kill (SIGKILL, default) |\n"
    "exit | pause | stop (SIGSTOP). The journal records it when armed.\n\n";

const char* kExits =
    "exit: 0 applied (or nothing to change), 1 plan refused (--strict, --expect-plan, --plan),\n"
    "      2 bad input, 3 not permitted, 4 apply failed and was rolled back (or no room for the\n"
    "      journal), 5 lock held by another tunectl, 6 open or corrupt transaction (recover first)\n";

void print_transaction(std::ostream& out, const Transaction& tx) {
  for (const auto& id : tx.recovered) out << "recovered: open transaction " << id << " rolled back first\n";
  if (tx.state == TxState::kUnchanged) {
    out << "nothing to change: profile " << tx.profile << " already holds on " << root_label(tx.root) << "\n";
    print_side_lists(out, tx.skipped, tx.already.size());
    print_warning_lines(out, tx.warnings);
    return;
  }
  out << "transaction " << tx.id.value_or("-") << ": " << to_string(tx.state) << " — profile " << tx.profile
      << " (sha256 " << tx.profile_digest.substr(0, 12) << "), " << root_label(tx.root) << "\n";
  Table t({{"KNOB"}, {"BEFORE"}, {"WRITTEN"}, {"READ BACK"}, {"STATUS"}, {"EFFECT"}});
  for (const auto& c : tx.changes)
    t.add_row({c.knob, one_line(c.before), c.value, one_line(c.after), to_string(c.status),
               c.effect ? *c.effect + (c.effect_detail ? " (" + *c.effect_detail + ")" : "") : std::string()});
  t.print(out, "  ");
  print_side_lists(out, tx.skipped, tx.already.size());
  print_warning_lines(out, tx.warnings);
  if (tx.state == TxState::kApplied)
    out << "\njournal: " << tx.journal.value_or("")
        << "\nundo with: " << tunectl_command({"rollback"}, tx.root, tx.state_dir.value_or("")) << "\n";
}

// The transaction's JSON, with "persisted" (tuner/apply/persist.h) after `--persist`.
json with_persisted(const Transaction& tx, const std::optional<PersistResult>& persisted) {
  json j = tx;
  if (persisted) j["persisted"] = *persisted;
  return j;
}

bool ask(const Plan& plan, std::ostream& out) {
  print_plan(out, plan);
  if (plan.changes.empty()) return true;  // nothing will be written: no question to ask
  out << "\napply " << plan.changes.size() << " change(s) to " << root_label(plan.root) << "? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

int run_apply(const std::vector<std::string>& args) {
  po::options_description opts("apply options");
  opts.add_options()
      ("profile,p", po::value<std::string>()->required(), "built-in profile name or path to a profile file")
      ("dry-run", "print the plan; write nothing, not even the journal")
      ("yes,y", "apply without asking (required when stdin is not a terminal)")
      ("recover", "roll back an open (interrupted) transaction first, then apply")
      ("persist", "also record the profile in /etc/tunectl and enable tunectl-boot.service, which applies it "
                  "again at every boot (only after a successful apply; docs/persistence.md)")
      ("strict", "refuse (exit 1, nothing written) when a setting would be skipped or the plan warns")
      ("expect-plan", po::value<std::string>()->value_name("DIGEST"), "apply only if the plan's digest is DIGEST")
      ("plan", po::value<std::string>()->value_name("FILE"), "apply only if the plan equals FILE (`plan --json` output)");
  add_common(opts, kRoot | kStateDir | kJson | kProfilePath | kWait);
  po::variables_map vm;
  const std::string notes = std::string(kNotes) + (FaultInjector::compiled_in() ? kTestSwitch : "") + kExits;
  if (!parse_options("apply", std::string(kUsage) + "\n\n" + notes + "\n\n" + kProfileSearchHelp, opts, args, vm)) return 0;

  const Common common = read_common(vm);
  ApplyRequest req;
  req.profile = vm["profile"].as<std::string>();
  req.root = common.root;
  req.state_dir = common.state_dir;
  req.profile_path = common.profile_path;
  note_shadowing(req.profile, common);
  req.dry_run = vm.count("dry-run") > 0;
  req.recover = vm.count("recover") > 0;
  req.wait_seconds = common.wait;
  req.expect.strict = vm.count("strict") > 0;
  if (vm.count("expect-plan")) req.expect.digest = vm["expect-plan"].as<std::string>();
  if (vm.count("plan")) req.expect.plan = read_plan_file(vm["plan"].as<std::string>());
  if (req.expect.digest && req.expect.plan) throw InputError("--expect-plan and --plan say the same thing twice; pass one");
  const bool as_json = common.json;
  if (req.dry_run && !as_json) {
    // The library's dry run is a Transaction without the plan's IRQ map, exclusions and notes;
    // the plan is made here with the calls `tunectl plan` uses, so both print the same text.
    const Profile profile = load_profile(req.profile, profile_dirs(common));
    const Host host = host_for_root(req.root);
    const Plan plan = make_plan(host, plan_snapshot(host, plan_areas(profile)), profile);
    check_plan(plan, req.expect);  // a dry run refuses what the apply would (--strict, --plan)
    print_plan(std::cout, plan);
    std::cout << "\ndry run: nothing was written (not even the journal)\n";
    return kExitOk;
  }
  if (!req.dry_run && !vm.count("yes")) {
    if (::isatty(STDIN_FILENO) != 1)
      throw InputError("stdin is not a terminal, so there is no one to confirm: pass --yes (nothing was written)");
    // The plan and the question go where the user looks; with --json, stdout stays machine-only.
    req.confirm = [as_json](const Plan& plan) { return ask(plan, as_json ? std::cerr : std::cout); };
  }

  std::optional<PersistResult> persisted;
  Transaction tx = vm.count("persist") ? apply_and_persist(req, persisted) : apply_profile(req);
  if (as_json) {
    print_warnings(std::cerr, "apply", tx.warnings);  // the text view lists them itself
    std::cout << dump_json(with_persisted(tx, persisted), 2) << "\n";
  } else {
    print_transaction(std::cout, tx);
  }
  if (persisted && !as_json)
    std::cout << "persisted: " << persisted->record_path << " (sha256 " << persisted->record.digest.substr(0, 12)
              << "), enabled " << persisted->link << " -> " << persisted->unit << "\n";
  if (tx.state == TxState::kApplied || tx.state == TxState::kUnchanged || tx.state == TxState::kDryRun) return kExitOk;
  std::cerr << "tunectl apply: " << tx.error.value_or("apply failed")
            << (tx.state == TxState::kRolledBack ? "; every knob written was restored" : "") << "\n";
  return kExitApplyFailed;
}

}  // namespace

Verb verb_apply() { return {"apply", "apply a profile as one crash-safe transaction (journal, read-back, rollback)", run_apply}; }

}  // namespace tunectl::cli
