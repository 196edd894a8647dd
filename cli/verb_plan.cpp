// tunectl plan: what applying a profile would change on this host (or a captured tree). Pure.
#include <iostream>

#include "cli/common_options.h"
#include "cli/plan_view.h"
#include "cli/verb.h"
#include "core/json_text.h"
#include "tuner/apply/status.h"
#include "core/errors.h"
#include "tuner/plan/plan_review.h"
#include "tuner/plan/planner.h"

namespace tunectl::cli {
namespace {

int run_plan(const std::vector<std::string>& args) {
  po::options_description opts("plan options");
  opts.add_options()("profile,p", po::value<std::string>()->required(),
                     "built-in profile name or path to a .json profile")(
      "strict", "exit 1 when apply --strict would refuse this plan (a setting skipped, a warning)");
  add_common(opts, kRoot | kStateDir | kJson | kProfilePath);
  po::variables_map vm;
  if (!parse_options("plan", "-p PROFILE [--root DIR] [--state-dir DIR] [--strict] [--json]\n\n"
                                 "Computes what `apply` would change; never writes. Prints the plan's digest\n"
                                 "(\"digest\" in --json): `apply --expect-plan DIGEST` applies only that plan.\n"
                                 "Warnings (stderr; \"warnings\" in --json): what the profile asks for that this host\n"
                                 "would silently not get, and an open transaction.\n"
                                 "Exit 0; with --strict 1 when something would be skipped or is warned about.\n\n" +
                                 std::string(kProfileSearchHelp),
                     opts, args, vm))
    return 0;
  const Common common = read_common(vm);
  note_shadowing(vm["profile"].as<std::string>(), common);
  const Profile profile = load_profile(vm["profile"].as<std::string>(), profile_dirs(common));
  const Host host = host_for_root(common.root);
  const Plan plan = make_plan(host, plan_snapshot(host, plan_areas(profile)), profile);
  const auto warnings = open_transaction_warnings(common.root, common.state_dir);
  if (common.json) print_warnings(std::cerr, "plan", plan.warnings);  // the text view lists them itself
  print_warnings(std::cerr, "plan", warnings);
  json out = plan;
  for (const auto& w : warnings) out["warnings"].push_back(w);
  if (common.json)
    std::cout << dump_json(out, 2) << "\n";
  else
    print_plan(std::cout, plan);
  return vm.count("strict") && !strict_failures(plan).empty() ? kExitDrift : kExitOk;
}

}  // namespace

Verb verb_plan() { return {"plan", "show what applying a profile would change (pure: writes nothing)", run_plan}; }

}  // namespace tunectl::cli
