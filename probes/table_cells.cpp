// Cell helpers shared by the areas' `tunectl probe` sections.
#include "probes/table_cells.h"

#include <cstdio>

namespace tunectl {

std::string decimal(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string or_none(const std::string& cpulist) { return cpulist.empty() ? "none" : cpulist; }

CpuSet cpus_of(const std::optional<std::string>& cpulist) {
  if (!cpulist) return {};
  return parse_cpulist(*cpulist).value.value_or(CpuSet{});
}

}  // namespace tunectl
