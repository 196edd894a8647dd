// tunectl plan: what applying a profile would change on this host (or a captured tree). Pure.
#include <iostream>

#include "cli/common_options.h"
#include "cli/plan_view.h"
#include "cli/verb.h"
#include "core/json_text.h"
#include "tuner/apply/status.h"
#include "tuner/plan/planner.h"

namespace tunectl::cli {
namespace {

int run_plan(const std::vector<std::string>& args) {
  po::options_description opts("plan options");
  opts.add_options()("profile,p", po::value<std::string>()->required(),
                     "built-in profile name or path to a .json profile");
  add_common(opts, kRoot | kStateDir | kJson | kProfilePath);
  po::variables_map vm;
  if (!parse_options("plan", "-p PROFILE [--root DIR] [--state-dir DIR] [--json]\n\nComputes what `apply` would change; never writes.\n"
                                 "Warns (stderr; \"warnings\" in --json) while a transaction is open.\n\n" +
                                 std::string(kProfileSearchHelp),
                     opts, args, vm))
    return 0;
  const Common common = read_common(vm);
  note_shadowing(vm["profile"].as<std::string>(), common);
  const Profile profile = load_profile(vm["profile"].as<std::string>(), profile_dirs(common));
  const Host host = host_for_root(common.root);
  const Plan plan = make_plan(host, plan_snapshot(host), profile);
  const auto warnings = open_transaction_warnings(common.root, common.state_dir);
  for (const auto& w : warnings) std::cerr << "tunectl plan: warning: " << escape_for_terminal(w) << "\n";
  json out = plan;
  if (!warnings.empty()) out["warnings"] = warnings;
  if (common.json)
    std::cout << dump_json(out, 2) << "\n";
  else
    print_plan(std::cout, plan);
  return 0;
}

}  // namespace

Verb verb_plan() { return {"plan", "show what applying a profile would change (pure: writes nothing)", run_plan}; }

}  // namespace tunectl::cli
