// SHA-256 (FIPS 180-4), self-contained: used for profile digests so a plan, a journal and a
// verify report can say exactly which resolved profile they were made from.
#pragma once
#include <string>

namespace tunectl {

// Lower-case hex digest of `data`.
std::string sha256_hex(const std::string& data);

}  // namespace tunectl
