// The probe area registry (probes/areas.def) and lookups by name.
#include "probes/probe_area.h"

namespace tunectl {

const std::vector<ProbeArea>& probe_areas() {
  static const std::vector<ProbeArea> areas = {
#define TUNECTL_PROBE_AREA(name) probe_area_##name(),
#include "probes/areas.def"
#undef TUNECTL_PROBE_AREA
  };
  return areas;
}

const ProbeArea* find_probe_area(const std::string& name) {
  for (const auto& a : probe_areas())
    if (name == a.name || name == a.json_key) return &a;
  return nullptr;
}

std::string probe_area_names(const std::string& separator) {
  std::string names;
  for (const auto& a : probe_areas()) names += (names.empty() ? "" : separator) + a.name;
  return names;
}

}  // namespace tunectl
