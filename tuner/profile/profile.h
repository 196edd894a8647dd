// Profiles: JSON files stating what a host should be. Loading resolves "extends" (later wins,
// cycles are errors) and validates every key before anything is planned. The schema is in
// profile_schema.h; conditions ("when") are evaluated against a host by evaluate_profile().
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/json.h"
#include "probes/snapshot.h"

namespace tunectl {

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
};

// Where built-in profiles are looked up: $TUNECTL_PROFILE_DIR, the installed share dir, the
// source tree's profiles/.
std::vector<std::string> default_profile_dirs();

// A built-in name ("latency") or a path ("./my.json", anything with a '/' or ending in .json).
// Throws ProfileError ("profiles/x.json: /sysctl/net.ipv4.tcp_fin_timeout: must be >= 1, got -5").
Profile load_profile(const std::string& name_or_path,
                     const std::vector<std::string>& search_dirs = default_profile_dirs());

// The same from bytes already in memory; `file` names it in errors and is the directory base for
// "extends" (tests, fuzzing).
Profile load_profile_from_text(const std::string& text, const std::string& file,
                               const std::vector<std::string>& search_dirs = default_profile_dirs());

// Built-in profile names found in the search dirs (first dir wins), sorted.
std::vector<std::string> list_profiles(const std::vector<std::string>& search_dirs = default_profile_dirs());

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
EffectiveProfile evaluate_profile(const Profile& profile, const Snapshot& snap);

// JSON for Python's Profile: name, path, description, files, digest, resolved.
json profile_json(const Profile& p);
// profile_json plus the host it was evaluated on: root, effective (settings that apply there),
// excluded (the others, with reasons), settings/applicable counts. `profiles show|list --json`.
json evaluated_profile_json(const Profile& p, const Snapshot& snap);

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Excluded, item, reason)

}  // namespace tunectl
