// How the Python functions receive a profile: a name or path, or (for a dict or a Profile not
// backed by a file) JSON text with a "<label>" (tuner/profile/profile.h load_profile_json_text).
#pragma once
#include <optional>
#include <string>

#include "tuner/profile/profile.h"

namespace tunectl::py {

inline Profile load_profile_arg(const std::string& ref, const std::optional<std::string>& text,
                                const std::optional<std::string>& profile_path) {
  const auto dirs = profile_search_dirs(profile_path);
  return text ? load_profile_json_text(*text, ref, dirs) : load_profile(ref, dirs);
}

}  // namespace tunectl::py
