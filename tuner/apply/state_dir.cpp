#include "tuner/apply/state_dir.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>

#include "core/errors.h"

namespace tunectl {

constexpr const char* kLiveStateDir = "/var/lib/tunectl";

std::string default_state_dir(const std::string& canonical_root) {
  if (canonical_root == "/") return kLiveStateDir;
  // FNV-1a: a stable, dependency-free key; the name part keeps the directory readable.
  unsigned long long h = 1469598103934665603ULL;
  for (unsigned char c : canonical_root) h = (h ^ c) * 1099511628211ULL;
  std::string name = canonical_root.substr(canonical_root.find_last_of('/') + 1);
  for (char& c : name)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  char hex[20];
  std::snprintf(hex, sizeof hex, "%016llx", h);
  return std::string(kLiveStateDir) + "/roots/" + name + "-" + hex;
}

std::string state_dir_for(const std::string& root, const std::optional<std::string>& state_dir) {
  return state_dir ? *state_dir : default_state_dir(canonical_root(root));
}

void require_write_permission(const Host& host) {
  if (host.is_live() && ::geteuid() != 0) throw NotPermitted("needs root (try sudo); nothing was written");
}

}  // namespace tunectl
