// tunectl knobs: the write allowlist — every knob kind with its address grammar, and every
// sysctl tunectl manages with its range, unit, kernel default and documentation. The data is the
// knob layer's catalogue (tuner/knobs/knob_catalogue.h); this file only prints it.
#include <iostream>

#include "cli/common_options.h"
#include "cli/verb.h"
#include "core/json_text.h"
#include "core/table.h"
#include "tuner/knobs/knob_catalogue.h"

namespace tunectl::cli {
namespace {

int run_knobs(const std::vector<std::string>& args) {
  po::options_description opts("knobs options");
  add_common(opts, kJson);
  po::variables_map vm;
  if (!parse_options("knobs",
                     "[--json]\n\n"
                     "--json prints {\"schema\": \"tunectl.knobs/1\", \"kinds\": [...], \"sysctls\": [...]}.",
                     opts, args, vm))
    return 0;
  if (read_common(vm).json) {
    std::cout << dump_json(knob_catalogue_json(), 2) << "\n";
    return 0;
  }
  std::cout << "knob kinds (a profile section sets them; every write goes through one):\n";
  Table kinds({{"KIND"}, {"SECTION"}, {"PHASE"}, {"NETNS"}, {"ADDRESS"}, {"WRITES"}});
  for (const auto& k : knob_kind_catalogue())
    kinds.add_row({k.prefix, k.section.empty() ? Table::Cell() : k.section + " (" + k.shape + ")", k.phase, k.netns,
                   k.address, k.writes});
  kinds.print(std::cout, "  ");
  std::cout << "\nsysctls (sysctl:<name>; the profile section \"sysctl\"):\n";
  Table sysctls({{"SYSCTL"}, {"RANGE"}, {"UNIT"}, {"NETNS"}, {"DEFAULT"}, {"DOCUMENTATION"}});
  for (const auto& s : sysctl_catalogue()) {
    const std::string range = s.fields > 1 ? s.field_names + ": each " + s.range : s.range;
    sysctls.add_row({s.name, range, s.unit, s.per_netns ? "per-netns" : "global", s.default_value, s.doc});
  }
  sysctls.print(std::cout, "  ");
  return 0;
}

}  // namespace

Verb verb_knobs() { return {"knobs", "the write allowlist: knob kinds and the sysctls tunectl manages", run_knobs}; }

}  // namespace tunectl::cli
