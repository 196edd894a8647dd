// Human output of `tunectl probe`: the host line, then one section per probed area in registry
// order (probes/areas.def): its heading, its table (ProbeArea::print_table) or why it is
// unavailable, and its per-field errors.
#include "cli/probe_tables.h"

#include "cli/common_options.h"
#include "core/json_text.h"
#include "probes/probe_area.h"

namespace tunectl::cli {
namespace {

constexpr size_t kMaxErrorsShown = 10;

void print_errors(std::ostream& out, const Snapshot& snap, const std::string& area) {
  auto it = snap.errors.find(area);
  if (it == snap.errors.end() || it->second.empty()) return;
  out << "  errors (" << it->second.size() << "):\n";
  for (size_t i = 0; i < it->second.size() && i < kMaxErrorsShown; ++i)
    out << "    " << escape_for_terminal(it->second[i]) << "\n";  // paths hold interface names
  if (it->second.size() > kMaxErrorsShown) out << "    ... " << it->second.size() - kMaxErrorsShown << " more\n";
}

void print_area(std::ostream& out, const Snapshot& snap, const ProbeArea& area) {
  const bool present = area.present(snap);
  const auto why = snap.unavailable.find(area.name);
  if (present || why != snap.unavailable.end()) {  // else not probed
    out << "\n" << area.title << "\n";
    if (present)
      area.print_table(out, snap);
    else
      out << "  unavailable: " << escape_for_terminal(why->second) << "\n";
  }
  print_errors(out, snap, area.name);
}

}  // namespace

void print_probe_tables(std::ostream& out, const Snapshot& snap) {
  // Not a table, so its host bytes (hostname, osrelease, the tree's path) are escaped here.
  out << escape_for_terminal("host " + (snap.host.hostname.empty() ? "?" : snap.host.hostname) + ", kernel " +
                             (snap.host.kernel.empty() ? "?" : snap.host.kernel) + ", " + root_label(snap.host.root) +
                             ", taken " + snap.host.taken_at)
      << "\n";
  for (const auto& area : probe_areas()) print_area(out, snap, area);
}

}  // namespace tunectl::cli
