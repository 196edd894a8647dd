// libFuzzer target: the profile loader takes any bytes and either loads a profile or throws
// ProfileError; anything else (a crash, another exception type) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/errors.h"
#include "tuner/profile/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // No search dirs: "extends" can only name siblings of a file that does not exist.
    tunectl::Profile p = tunectl::load_profile_from_text(text, "/nonexistent/fuzz.json", {});
    if (p.digest.size() != 64) __builtin_trap();
  } catch (const tunectl::ProfileError&) {
  }
  return 0;
}
