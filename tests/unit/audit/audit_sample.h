// The sample audit report (tests/fixtures/audit/report-sample.json) the renderer tests start from.
#pragma once
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/json.h"

namespace tunectl::test {

inline std::string audit_sample_path() {
  const char* src = std::getenv("TUNECTL_SOURCE_DIR");
  return std::string(src ? src : TUNECTL_SOURCE_DIR) + "/tests/fixtures/audit/report-sample.json";
}

inline json audit_sample() {
  std::ifstream in(audit_sample_path());
  if (!in) throw std::runtime_error("cannot read " + audit_sample_path());
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

// How many times `needle` occurs in `hay`.
inline size_t count_of(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + needle.size())) ++n;
  return n;
}

}  // namespace tunectl::test
