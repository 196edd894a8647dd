// Profiles: JSON files stating what a host should be. Loading resolves "extends" (later wins,
// cycles are errors) and validates every key before anything is planned. The schema is in
// profile_schema.h; conditions ("when") are evaluated against a host by evaluate_profile().
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"
#include "probes/snapshot.h"

namespace tunectl {

// One setting that two profiles merged by an "extends" list set to different values: the later
// one replaced the earlier, which is easy to miss (latency's THP "never" silently losing to
// container-host's "madvise" when a profile extends both).
struct ExtendsConflict {
  struct Value {
    std::string file;  // the file the value came from
    json value;        // the setting without why/source
  };
  std::string setting;        // JSON pointer, "/thp/enabled"
  std::string in;             // the file whose extends list merged both
  std::vector<Value> values;  // in merge order: the second replaced the first
  std::string won;            // the file whose value the resolved profile holds
  std::string why;            // "later in extends wins", "set by <file> itself", "overridden by <file>"
};

struct Profile {
  std::string name;    // "latency", or the file stem of a user profile
  std::string path;    // file it was loaded from
  std::string description;
  std::vector<std::string> files;  // every file read, in merge order (bases first, `path` last)
  json resolved;       // canonical, after extends (conditions are evaluated against a host later)
  std::string digest;  // sha256 hex of resolved.dump()
  // JSON pointer of each setting / policy in `resolved` -> the file it came from, so errors found
  // later (planning against a host) still name the right file.
  std::map<std::string, std::string> origins;
  // Loaded by name: the files of the same name later in the search path that this one hides.
  std::vector<std::string> shadows;
  std::vector<ExtendsConflict> conflicts;  // every extends list of every file merged
};

// --- the search path for profile names --------------------------------------------------------
// The site's own profiles, searched after --profile-path and before the built-ins.
inline constexpr const char* kSiteProfileDir = "/etc/tunectl/profiles";

// The built-in profiles: the install prefix's share/tunectl/profiles. Code running from a file
// inside the build directory it was compiled in (the build tree's tunectl, the unit tests, the
// module in build/python) uses this source tree's profiles/ instead. So an installed tunectl never
// looks into a build or source tree, and a build-tree tunectl never picks up an installed copy.
std::string builtin_profile_dir();

// The search path, first match wins: `profile_path` (--profile-path, colon-separated) or, when it
// is not given, $TUNECTL_PROFILE_PATH; then `site_dir`; then `builtin_dir`. Empty entries and
// repeats are dropped.
std::vector<std::string> profile_search_dirs(const std::optional<std::string>& profile_path = std::nullopt,
                                             const std::string& site_dir = kSiteProfileDir,
                                             const std::string& builtin_dir = builtin_profile_dir());
// profile_search_dirs() with every default.
std::vector<std::string> default_profile_dirs();

// The file a profile name resolves to: in the first dir holding an entry NAME.json (whatever it is:
// a FIFO there is an error, not a reason to look further), and the later same-named files it shadows.
struct FoundProfile {
  std::string path;
  std::vector<std::string> shadows;
};
std::optional<FoundProfile> find_profile(const std::string& name, const std::vector<std::string>& search_dirs);

// Running as root, every profile file read (a name, a path, an extends parent) and its directory
// must be owned by root and writable by no one else (core/file_io.h not_trusted_by_root), since
// anyone who can change them decides what root writes to the kernel: NotPermitted (exit 3) otherwise.

// A built-in name ("latency") or a path ("./my.json", anything with a '/' or ending in .json).
// Throws ProfileError ("profiles/x.json: /sysctl/net.ipv4.tcp_fin_timeout: must be >= 1, got -5").
Profile load_profile(const std::string& name_or_path,
                     const std::vector<std::string>& search_dirs = default_profile_dirs());

// The same from bytes already in memory; `file` names it in errors and is the directory base for
// "extends" (tests, fuzzing).
Profile load_profile_from_text(const std::string& text, const std::string& file,
                               const std::vector<std::string>& search_dirs = default_profile_dirs());

// Profile names found in the search dirs, sorted.
std::vector<std::string> list_profiles(const std::vector<std::string>& search_dirs = default_profile_dirs());

// Every name in the search path as `profiles list` shows it: the file -p NAME loads, the directory
// it is in, the files it shadows, and the loaded profile or why it does not load (one bad file
// does not hide the others).
struct ProfileEntry {
  std::string name, path, dir;
  std::vector<std::string> shadows;
  std::optional<Profile> profile;
  std::string error;  // when !profile: "<file>: <pointer>: <reason>"
  int exit_code = 0;  // when !profile: the error's exit code (2 invalid, 3 not trusted as root)
};
std::vector<ProfileEntry> scan_profiles(const std::vector<std::string>& search_dirs = default_profile_dirs());
// `profiles list --json` (and Python's list_profiles()): every entry of scan_profiles, a loaded one
// as evaluated_profile_json against `snap`/`host` plus "dir", one that does not load as
// {name, path, dir, shadows, error}.
json profile_listing_json(const std::vector<std::string>& search_dirs, const Snapshot& snap, const Host& host);

// A profile given as JSON text rather than a file (Python passes a dict this way): `label`, such
// as "<dict>", names it in errors and becomes its name. Its "extends" are looked up in the search
// dirs only, as it has no directory of its own.
Profile load_profile_json_text(const std::string& text, const std::string& label,
                               const std::vector<std::string>& search_dirs = default_profile_dirs());

// A profile with its conditions evaluated against a host: the settings that apply, "when" removed,
// and the ones left out with the reason.
struct Excluded {
  std::string item;    // JSON pointer in the resolved profile ("/sysctl/net.core.busy_poll")
  std::string reason;  // "numa_nodes > 1 is false: numa_nodes is 1"
};
struct EffectiveProfile {
  json settings;  // same shape as Profile::resolved
  std::vector<Excluded> excluded;
};
// `host` answers "knob_exists" conditions; without it they do not hold.
EffectiveProfile evaluate_profile(const Profile& profile, const Snapshot& snap, const Host* host = nullptr);

// JSON for Python's Profile: name, path, description, files, digest, resolved, shadows, conflicts.
json profile_json(const Profile& p);
// profile_json plus the host it was evaluated on: root, effective (settings that apply there),
// excluded (the others, with reasons), settings/applicable counts. `profiles show|list --json`.
json evaluated_profile_json(const Profile& p, const Snapshot& snap, const Host* host = nullptr);

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Excluded, item, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExtendsConflict::Value, file, value)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExtendsConflict, setting, in, values, won, why)

}  // namespace tunectl
