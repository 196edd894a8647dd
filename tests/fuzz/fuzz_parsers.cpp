// libFuzzer target: every kernel-text parser must take any bytes without crashing, and what
// parses must round-trip through the canonical formatters.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using namespace tunectl;
  if (auto p = parse_cpulist(text); p.ok()) {
    auto again = parse_cpulist(format_cpulist(*p.value));
    if (!again.ok() || *again.value != *p.value) std::abort();
  }
  if (auto p = parse_hex_mask(text); p.ok()) {
    auto again = parse_hex_mask(format_hex_mask(*p.value, 1));
    if (!again.ok() || *again.value != *p.value) std::abort();
  }
  (void)parse_bracketed(text);
  (void)parse_key_values(text);
  (void)parse_meminfo(text);
  (void)parse_netstat(text);
  (void)parse_sockstat(text);
  (void)parse_interrupts(text);
  return 0;
}
