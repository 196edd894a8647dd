// tunectl diff A B: what differs between two snapshots or two audit reports, grouped by area.
#include <iostream>

#include "audit/diff.h"
#include "core/errors.h"
#include "cli/common_options.h"
#include "cli/verb.h"
#include "core/json_text.h"

namespace tunectl::cli {
namespace {

int run_diff(const std::vector<std::string>& args) {
  po::options_description opts("diff options");
  opts.add_options()("a", po::value<std::string>()->required(), "first input (JSON file)")(
      "b", po::value<std::string>()->required(), "second input (JSON file)")(
      "counters", po::bool_switch(),
      "also compare counters and usage that change by themselves (IRQ counts, THP and TCP event "
      "counters, sockets, huge pages and memory in use, throttling, idle-state residency, current "
      "frequency)");
  add_common(opts, kJson);
  po::positional_options_description pos;
  pos.add("a", 1).add("b", 1);
  po::variables_map vm;
  if (!parse_options("diff",
                     "A.json B.json [--json] [--counters]\n\n"
                     "Compares two snapshots (tunectl probe --json) or two audit reports (the report.json of\n"
                     "tunectl audit --out DIR): two hosts, or one host over time. Prints only what differs, per\n"
                     "area, as 'path: A -> B'; list elements are matched by identity and named by it (IRQ number,\n"
                     "NIC name, CPU, cgroup path, knob, bench and metric; a '/' in a name is written ~1), so one\n"
                     "added IRQ is one difference. Audit reports are compared by profile (name, digest),\n"
                     "outcome, settings, verdict per benchmark metric and the host after the audit. Never\n"
                     "compared: when a snapshot was taken and the root it was read from; without --counters,\n"
                     "the counters listed below.\n\n"
                     "--json prints {\"schema\": \"tunectl.diff/1\", \"kind\", \"a\", \"b\", \"identical\",\n"
                     "\"areas\": {AREA: [{\"path\", \"change\" (changed, added, removed), \"a\", \"b\"}]}}.\n\n"
                     "exit codes: 0 identical (nothing printed without --json), 1 they differ,\n"
                     "2 input error (unreadable or not JSON, unknown schema, a snapshot vs an audit report)",
                     opts, args, vm, &pos))
    return 0;
  DiffOptions options;
  options.a_label = vm["a"].as<std::string>();
  options.b_label = vm["b"].as<std::string>();
  options.counters = vm["counters"].as<bool>();
  const json a = load_diff_input(options.a_label);  // A first: its errors are reported first
  const json b = load_diff_input(options.b_label);
  const json d = diff_documents(a, b, options);
  if (read_common(vm).json)
    std::cout << dump_json(d, 2) << "\n";
  else
    print_diff(std::cout, d);
  return d["identical"].get<bool>() ? kExitOk : kExitDrift;
}

}  // namespace

Verb verb_diff() { return {"diff", "what differs between two snapshots or two audit reports", run_diff}; }

}  // namespace tunectl::cli
