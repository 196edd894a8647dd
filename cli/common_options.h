// The options several verbs share (--root, --state-dir, --json, --profile-path), declared once so
// that their names, defaults and help texts are the same in every verb.
#pragma once
#include <boost/program_options.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tunectl::cli {

enum CommonOption : unsigned {
  kRoot = 1u << 0,      // --root DIR, default "/"
  kStateDir = 1u << 1,  // --state-dir DIR, default: chosen by the library (see tunectl apply --help)
  kJson = 1u << 2,      // --json: machine output only
  kProfilePath = 1u << 3,  // --profile-path DIR:DIR, default $TUNECTL_PROFILE_PATH (every verb taking -p)
  kWait = 1u << 4,      // --wait[=S]: wait for the state lock (verbs that take it)
};

// The profile search path, for --help texts.
extern const char* const kProfileSearchHelp;

// Adds the options named by `flags` (CommonOption bits) to `opts`.
void add_common(boost::program_options::options_description& opts, unsigned flags);

struct Common {
  std::string root = "/";
  std::optional<std::string> state_dir;
  bool json = false;
  std::optional<std::string> profile_path;  // nullopt: $TUNECTL_PROFILE_PATH
  std::optional<double> wait;  // nullopt: refuse a held lock at once (exit 5); infinity: bare --wait
};

// Reads back whichever common options were added; the others keep their defaults.
Common read_common(const boost::program_options::variables_map& vm);

// How output names a root, so that no one mistakes one for the other: "live host" for "/",
// "tree DIR" for a captured tree.
std::string root_label(const std::string& root);

// "tunectl VERB: warning: ..." on stderr for each, host bytes escaped.
void print_warnings(std::ostream& err, const std::string& verb, const std::vector<std::string>& warnings);

// The directories profile names are looked up in, with these options (tuner/profile/profile.h).
std::vector<std::string> profile_dirs(const Common& c);
// Says on stderr (also with --json) when the profile name `profile` resolves to a file that
// shadows another of the same name later in the search path.
void note_shadowing(const std::string& profile, const Common& c);

}  // namespace tunectl::cli
