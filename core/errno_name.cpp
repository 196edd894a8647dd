#include "core/errno_name.h"

#include <cstring>

namespace tunectl {

std::string errno_name(int err) {
  // glibc >= 2.32 (bookworm has 2.36) knows every name; no table of our own to fall behind.
  const char* name = ::strerrorname_np(err);
  return name ? name : "errno " + std::to_string(err);
}

}  // namespace tunectl
