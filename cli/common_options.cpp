// The shared --root, --state-dir, --json and --profile-path options: one declaration, one help text each.
#include "cli/common_options.h"

#include <cmath>
#include <iostream>
#include <limits>

#include "core/errors.h"
#include "core/json_text.h"

#include "tuner/profile/profile.h"
#include "tuner/profile/profile_schema.h"

namespace tunectl::cli {

namespace po = boost::program_options;

const char* const kProfileSearchHelp =
    "A profile name (-p latency) is looked up in: --profile-path DIR[:DIR...] (default: $TUNECTL_PROFILE_PATH),\n"
    "then /etc/tunectl/profiles, then the built-in profiles; the first NAME.json found is used and\n"
    "any later one of that name is reported as shadowed. A path (./my.json) is used as given. As root,\n"
    "a profile file or its directory that anyone but root can change is refused (exit 3).";

void add_common(po::options_description& opts, unsigned flags) {
  if (flags & kRoot)
    opts.add_options()("root", po::value<std::string>()->default_value("/"), "host root: a captured tree (scripts/capture-host.sh); the live host is the default, or exactly /");
  if (flags & kStateDir)
    opts.add_options()("state-dir", po::value<std::string>(),
                       "where transactions are journaled (default: see tunectl apply --help)");
  if (flags & kJson) opts.add_options()("json", "print JSON and nothing else (machine output only)");
  if (flags & kProfilePath)
    opts.add_options()("profile-path", po::value<std::string>(),
                       "directories searched for profile names first, colon-separated (default: "
                       "$TUNECTL_PROFILE_PATH); then /etc/tunectl/profiles and the built-ins");
  if (flags & kWait)
    opts.add_options()("wait", po::value<double>()->implicit_value(std::numeric_limits<double>::infinity(), "forever")
                                   ->value_name("S"),
                       "when another apply/rollback holds the lock, wait for it (forever, or at most S seconds) "
                       "instead of exiting 5");
}

Common read_common(const po::variables_map& vm) {
  Common c;
  if (vm.count("root")) c.root = vm["root"].as<std::string>();
  if (vm.count("state-dir")) c.state_dir = vm["state-dir"].as<std::string>();
  c.json = vm.count("json") > 0;
  if (vm.count("profile-path")) c.profile_path = vm["profile-path"].as<std::string>();
  if (vm.count("wait")) {
    c.wait = vm["wait"].as<double>();
    if (!(*c.wait >= 0)) throw InputError("--wait: seconds must be a number >= 0");
  }
  return c;
}

void print_warnings(std::ostream& err, const std::string& verb, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) err << "tunectl " << verb << ": warning: " << escape_for_terminal(w) << "\n";
}

std::string root_label(const std::string& root) { return root == "/" ? "live host" : "tree " + root; }

std::vector<std::string> profile_dirs(const Common& c) { return profile_search_dirs(c.profile_path); }

void note_shadowing(const std::string& profile, const Common& c) {
  if (!valid_profile_name(profile)) return;  // a path: used as given
  auto found = find_profile(profile, profile_dirs(c));
  if (!found) return;
  for (const auto& hidden : found->shadows)
    std::cerr << "tunectl: note: profile " << profile << " is " << found->path << ", which shadows " << hidden << "\n";
}

}  // namespace tunectl::cli
