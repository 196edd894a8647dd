// The options several verbs share (--root, --state-dir, --json), declared once so that their names,
// defaults and help texts are the same in every verb.
#pragma once
#include <boost/program_options.hpp>
#include <optional>
#include <string>

namespace tunectl::cli {

enum CommonOption : unsigned {
  kRoot = 1u << 0,      // --root DIR, default "/"
  kStateDir = 1u << 1,  // --state-dir DIR, default: chosen by the library (see tunectl apply --help)
  kJson = 1u << 2,      // --json: machine output only
};

// Adds the options named by `flags` (CommonOption bits) to `opts`.
void add_common(boost::program_options::options_description& opts, unsigned flags);

struct Common {
  std::string root = "/";
  std::optional<std::string> state_dir;
  bool json = false;
};

// Reads back whichever common options were added; the others keep their defaults.
Common read_common(const boost::program_options::variables_map& vm);

// How output names a root, so that no one mistakes one for the other: "live host" for "/",
// "tree DIR" for a captured tree.
std::string root_label(const std::string& root);

}  // namespace tunectl::cli
