// tunectl probe: read the host (or a captured tree) and print the snapshot.
#include <iostream>

#include "core/errors.h"
#include "core/json_text.h"
#include "probes/probe_area.h"
#include "probes/snapshot.h"
#include "cli/common_options.h"
#include "cli/probe_tables.h"
#include "cli/verb.h"

namespace tunectl::cli {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

int run_probe(const std::vector<std::string>& args) {
  po::options_description opts("probe options");
  const std::string areas = "comma-separated areas: " + probe_area_names(",");  // probes/areas.def
  opts.add_options()("only", po::value<std::string>(), areas.c_str())(
      "irq-counts", po::value<std::string>()->default_value("sparse"),
      "per-CPU IRQ counts in --json: sparse (CPUs with a non-zero count) or full (every CPU)");
  add_common(opts, kRoot | kJson);
  po::variables_map vm;
  if (!parse_options("probe",
                     "[--root DIR] [--json] [--only AREAS] [--irq-counts sparse|full]\n\n--json prints schema " +
                         std::string(kSnapshotSchema) +
                         " (docs/snapshot.md).\nAreas, and the files of many IRQs, are read on up to 8 threads; "
                         "TUNECTL_PROBE_THREADS=N\nsets how many (1: one thread). The output is the same either way.",
                     opts, args, vm))
    return 0;
  const std::string counts = vm["irq-counts"].as<std::string>();
  if (counts != "sparse" && counts != "full")
    throw InputError("--irq-counts: '" + counts + "' is neither sparse nor full");

  const Common common = read_common(vm);
  Host host(common.root);
  if (!host.is_dir("/")) throw InputError("--root " + host.root() + ": not a directory");
  std::vector<std::string> only;
  if (vm.count("only")) only = split_commas(vm["only"].as<std::string>());
  Snapshot snap = take_snapshot(host, only);
  snap.irq_counts = counts == "full" ? IrqCounts::kFull : IrqCounts::kSparse;
  if (common.json) {
    std::cout << dump_json(json(snap), 2) << "\n";
  } else {
    print_probe_tables(std::cout, snap);
  }
  return 0;
}

}  // namespace

Verb verb_probe() { return {"probe", "read the host exactly: topology, IRQs, NICs, THP, TCP, cgroups", run_probe}; }

}  // namespace tunectl::cli
