// The shared --root, --state-dir and --json options: one declaration, one help text each.
#include "cli/common_options.h"

namespace tunectl::cli {

namespace po = boost::program_options;

void add_common(po::options_description& opts, unsigned flags) {
  if (flags & kRoot)
    opts.add_options()("root", po::value<std::string>()->default_value("/"), "host root: a captured tree (scripts/capture-host.sh); the live host is the default, or exactly /");
  if (flags & kStateDir)
    opts.add_options()("state-dir", po::value<std::string>(),
                       "where transactions are journaled (default: see tunectl apply --help)");
  if (flags & kJson) opts.add_options()("json", "print JSON and nothing else (machine output only)");
}

Common read_common(const po::variables_map& vm) {
  Common c;
  if (vm.count("root")) c.root = vm["root"].as<std::string>();
  if (vm.count("state-dir")) c.state_dir = vm["state-dir"].as<std::string>();
  c.json = vm.count("json") > 0;
  return c;
}

std::string root_label(const std::string& root) { return root == "/" ? "live host" : "tree " + root; }

}  // namespace tunectl::cli
