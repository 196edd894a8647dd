// Profiles: JSON files stating what a host should be. Loading resolves "extends" (later wins,
// cycles are errors) and validates every key before anything is planned.
#pragma once
#include <string>
#include <vector>

#include "probes/json.h"

namespace tunectl {

struct Profile {
  std::string name;    // "latency", or the file stem of a user profile
  std::string path;    // file it was loaded from
  json resolved;       // after extends (conditions are evaluated by the planner against a host)
  std::string digest;  // sha256 hex of resolved.dump()
};

// Where built-in profiles are looked up: $TUNECTL_PROFILE_DIR, the installed share dir, the
// source tree's profiles/.
std::vector<std::string> default_profile_dirs();

// A built-in name ("latency") or a path ("./my.json"). Throws ProfileError
// ("profiles/x.json: /sysctl/net.ipv4.tcp_fin_timeout: must be >= 1, got -5").
Profile load_profile(const std::string& name_or_path,
                     const std::vector<std::string>& search_dirs = default_profile_dirs());

}  // namespace tunectl
