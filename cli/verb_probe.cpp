// tunectl probe: read the host (or a captured tree) and print the snapshot.
#include <iostream>

#include "core/errors.h"
#include "probes/snapshot.h"
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
  opts.add_options()
      ("root", po::value<std::string>()->default_value("/"), "host root: / (live) or a captured tree")
      ("json", "print the snapshot as JSON (schema tunectl.snapshot/1) and nothing else")
      ("only", po::value<std::string>(), "comma-separated areas: topology,irq,nic,thp,tcp,cgroup");
  po::variables_map vm;
  if (!parse_options("probe", "[--root DIR] [--json] [--only AREAS]", opts, args, vm)) return 0;

  Host host(vm["root"].as<std::string>());
  if (!host.is_dir("/")) throw InputError("--root " + host.root() + ": not a directory");
  std::vector<std::string> only;
  if (vm.count("only")) only = split_commas(vm["only"].as<std::string>());
  Snapshot snap = take_snapshot(host, only);
  if (vm.count("json")) {
    std::cout << json(snap).dump(2) << "\n";
  } else {
    print_probe_tables(std::cout, snap);
  }
  return 0;
}

}  // namespace

Verb verb_probe() { return {"probe", "read the host exactly: topology, IRQs, NICs, THP, TCP, cgroups", run_probe}; }

}  // namespace tunectl::cli
