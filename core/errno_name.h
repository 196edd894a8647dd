// errno_name: the symbolic name of an errno value, for messages that must say exactly what the
// kernel answered ("EPERM", "EINVAL") whatever the locale.
#pragma once
#include <string>

namespace tunectl {

// "EPERM", "EROFS", ...; "errno N" for a value the C library has no name for.
std::string errno_name(int err);

}  // namespace tunectl
