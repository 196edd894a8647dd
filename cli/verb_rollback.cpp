// tunectl rollback: restore the exact previous bytes of the last (or named) transaction.
#include <iostream>

#include "core/errors.h"
#include "core/json_text.h"
#include "core/table.h"
#include "cli/common_options.h"
#include "cli/verb.h"
#include "tuner/apply/transaction.h"

namespace tunectl::cli {
namespace {

const char* kNotes =
    "Restores the previous bytes journaled by apply, newest write first, and checks each reads\n"
    "back; an open transaction (an interrupted apply) is rolled back too: that is crash recovery.\n"
    "Knobs changed by hand since the apply are restored as well (FOUND shows what was there).\n"
    "--to ID rolls back ID and every later transaction still in effect, newest first.\n"
    "Before writing anything it checks the journal's record of where each knob belonged: a\n"
    "transaction from an earlier boot is closed without writing its runtime settings (the reboot\n"
    "reset them; its kernel parameters, files a reboot keeps, are restored);\n"
    "an IRQ or interface that is now another device refuses the whole rollback (exit 2) unless\n"
    "--force; knobs of another network namespace are refused even with --force (run it there).\n"
    "A transaction with no recorded write (its apply stopped before the first one) is closed\n"
    "without writing when its knobs hold their previous bytes, and left open (exit 1) when they\n"
    "do not. A corrupt journal is skipped when it is older than what is rolled back; one that may\n"
    "be newer, or --to naming it, refuses (exit 2): see `tunectl history`.\n"
    "Same state dir rules and permissions as apply (see tunectl apply --help).\n"
    "--json prints {\"rolled_back\": [transaction, ...]}.\n\n"
    "Nothing to roll back (no transaction recorded, or the last one already rolled back) says so\n"
    "and exits 0; with --json {\"rolled_back\": [], \"nothing_to_do\": \"why\"}.\n\n"
    "exit: 0 rolled back or nothing to do, 1 some knob could not be restored (the transaction stays\n"
    "      open), 2 bad input (unknown --to ID), corrupt journal, or a device/namespace mismatch,\n"
    "      3 not permitted, 5 lock held by another tunectl (see --wait)\n";

void print_rollback(std::ostream& out, const Transaction& tx) {
  out << "transaction " << tx.id.value_or("-") << " (profile " << tx.profile << ", " << root_label(tx.root)
      << "): " << to_string(tx.state) << "\n";
  if (tx.note) {  // closed without writing: there is nothing restored to show
    out << "  " << *tx.note << "\n";
    return;
  }
  Table t({{"KNOB"}, {"FOUND"}, {"RESTORED"}, {"STATUS"}, {"NOTE"}});
  for (const auto& c : tx.changes) {
    if (c.status == TxChangeStatus::kNotWritten) continue;  // never touched: nothing to restore
    std::string note = c.error.value_or("");
    if (note.empty() && c.found && c.after && *c.found != *c.after && *c.found != c.before) note = "changed since apply";
    t.add_row({c.knob, one_line(c.found), one_line(c.restored), to_string(c.status), note});
  }
  if (t.rows()) t.print(out, "  ");
}

int run_rollback(const std::vector<std::string>& args) {
  po::options_description opts("rollback options");
  opts.add_options()("to", po::value<std::string>(), "transaction id (default: the last transaction)")(
      "force", "restore even if an IRQ or interface is now another device, or the host rebooted since");
  add_common(opts, kRoot | kStateDir | kJson | kWait);
  po::variables_map vm;
  const std::string usage = "[--to ID] [--force] [--root DIR] [--state-dir DIR] [--wait[=S]] [--json]\n\n" + std::string(kNotes);
  if (!parse_options("rollback", usage, opts, args, vm))
    return 0;

  const Common common = read_common(vm);
  RollbackRequest req;
  req.root = common.root;
  req.state_dir = common.state_dir;
  if (vm.count("to")) req.to = vm["to"].as<std::string>();
  req.force = vm.count("force") > 0;
  req.wait_seconds = common.wait;

  std::string nothing_to_do;
  const std::vector<Transaction> done = rollback(req, &nothing_to_do);
  if (common.json) {
    json out{{"rolled_back", done}};
    if (!nothing_to_do.empty()) out["nothing_to_do"] = nothing_to_do;
    std::cout << dump_json(out, 2) << "\n";
  } else if (!nothing_to_do.empty()) {
    std::cout << "nothing to roll back: " << escape_for_terminal(nothing_to_do) << "\n";
  } else {
    for (const auto& tx : done) print_rollback(std::cout, tx);
  }
  for (const auto& tx : done) {
    if (tx.state == TxState::kRolledBack) continue;
    std::cerr << "tunectl rollback: " << tx.id.value_or("") << ": " << tx.error.value_or("incomplete") << "\n";
    return kExitDrift;
  }
  return kExitOk;
}

}  // namespace

Verb verb_rollback() { return {"rollback", "restore the exact previous values of the last (or a named) transaction", run_rollback}; }

}  // namespace tunectl::cli
