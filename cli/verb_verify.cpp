// tunectl verify: drift detection for cron and CI. Detail on stdout; the exit code is the verdict.
#include <iostream>

#include "core/json_text.h"
#include "core/table.h"
#include "cli/common_options.h"
#include "cli/verb.h"
#include "tuner/apply/status.h"
#include "tuner/plan/planner.h"
#include "tuner/plan/verify.h"

namespace tunectl::cli {
namespace {

void print_report(std::ostream& out, const VerifyReport& r) {
  out << "verify: profile " << r.profile << " (sha256 " << r.profile_digest.substr(0, 12) << ") on " << root_label(r.root) << "\n\n";
  Table t({{"KNOB"}, {"EXPECTED"}, {"ACTUAL"}, {"EFFECTIVE"}, {"STATUS"}, {"DETAIL"}});
  for (const auto& i : r.items) t.add_row({i.knob, i.expected, i.actual, i.effective, to_string(i.status), i.detail});
  t.print(out, "  ");
  out << "\n";
  std::string summary;
  for (const auto& [status, n] : r.summary) summary += (summary.empty() ? "" : ", ") + std::to_string(n) + " " + status;
  out << (r.ok ? "OK" : "DRIFT") << ": " << (summary.empty() ? "nothing to check" : summary) << "\n";
  for (const auto& n : r.notes) out << "note: " << escape_for_terminal(n) << "\n";
  for (const auto& w : r.warnings) out << "warning: " << escape_for_terminal(w) << "\n";
}

int run_verify(const std::vector<std::string>& args) {
  po::options_description opts("verify options");
  opts.add_options()("profile,p", po::value<std::string>()->required(),
                     "built-in profile name or path to a .json profile")(
      "strict", "also fail (exit 1) on not-settable or missing knobs and on plan warnings, as apply --strict does");
  add_common(opts, kRoot | kStateDir | kJson | kProfilePath);
  po::variables_map vm;
  if (!parse_options("verify",
                     "-p PROFILE [--root DIR] [--state-dir DIR] [--strict] [--json]\n\n"
                     "Checks every knob of the profile: expected, actual, effective, and a status:\n"
                     "  ok, drift, pending (as desired, effect not visible yet), pending-reboot (a kernel\n"
                     "  parameter configured for the next boot that this boot did not get), not-settable (the\n"
                     "  host cannot take it), missing (file or cgroup absent).\n"
                     "not-settable and missing are what apply skips with a warning, so they do not fail verify\n"
                     "either: apply then verify agree. --strict fails on them and on the plan's warnings (a NIC\n"
                     "glob matching nothing, ...), as apply --strict refuses them.\n"
                     "Exit 0 when nothing drifted (pending never fails), 1 on drift (or, with --strict, on\n"
                     "anything skipped, warned about or waiting for a reboot), 2 on a bad profile or option.\n"
                     "Writes nothing.\n"
                     "Warns (stderr; \"warnings\" in --json) while a transaction is open.\n\n" +
                         std::string(kProfileSearchHelp),
                     opts, args, vm))
    return 0;
  const Common common = read_common(vm);
  note_shadowing(vm["profile"].as<std::string>(), common);
  const Profile profile = load_profile(vm["profile"].as<std::string>(), profile_dirs(common));
  const Host host = host_for_root(common.root);
  const VerifyReport r = verify_profile(host, plan_snapshot(host, plan_areas(profile)), profile, vm.count("strict") > 0);
  const auto warnings = open_transaction_warnings(common.root, common.state_dir);
  for (const auto& w : warnings) std::cerr << "tunectl verify: warning: " << escape_for_terminal(w) << "\n";
  json out = r;
  for (const auto& w : warnings) out["warnings"].push_back(w);
  if (common.json)
    std::cout << dump_json(out, 2) << "\n";
  else
    print_report(std::cout, r);
  return verify_exit_code(r);
}

}  // namespace

Verb verb_verify() { return {"verify", "check the host against a profile: ok / drift / pending (exit 1 on drift)", run_verify}; }

}  // namespace tunectl::cli
