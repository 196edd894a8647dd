// tunectl plan: what applying a profile would change on this host (or a captured tree). Pure.
#include <iostream>

#include "core/table.h"
#include "cli/verb.h"
#include "tuner/plan/planner.h"

namespace tunectl::cli {
namespace {

using Align = Table::Align;

// Long reasons stay readable in a terminal; --json has them whole.
std::string clip(const std::string& s, size_t n = 72) { return s.size() <= n ? s : s.substr(0, n - 3) + "..."; }

std::string knob_label(const Change& c) {
  if (c.action == "mkdir") return "mkdir " + c.knob.substr(7, c.knob.rfind(':') - 7);
  return c.knob + (c.per_netns ? " *" : "");
}

void print_plan(std::ostream& out, const Plan& p) {
  out << "plan: profile " << p.profile << " (sha256 " << p.profile_digest.substr(0, 12) << ") for root " << p.root << "\n";
  bool netns = false;
  out << "\nchanges, in apply order (" << p.changes.size() << "):\n";
  if (!p.changes.empty()) {
    Table t({{"#", Align::Right}, {"KNOB"}, {"CURRENT"}, {"DESIRED"}, {"WHY"}});
    for (size_t i = 0; i < p.changes.size(); ++i) {
      const Change& c = p.changes[i];
      netns = netns || c.per_netns;
      t.add_row({std::to_string(i + 1), knob_label(c), c.current.empty() ? std::string("(none)") : c.current, c.desired, clip(c.why)});
    }
    t.print(out, "  ");
  }
  out << "\nalready as desired (" << p.already.size() << "):\n";
  if (!p.already.empty()) {
    Table t({{"KNOB"}, {"VALUE"}});
    for (const Change& c : p.already) {
      netns = netns || c.per_netns;
      t.add_row({knob_label(c), c.current});
    }
    t.print(out, "  ");
  }
  out << "\nnot settable here (" << p.skipped.size() << "):\n";
  if (!p.skipped.empty()) {
    Table t({{"KNOB"}, {"STATUS"}, {"REASON"}});
    for (const Change& c : p.skipped) t.add_row({knob_label(c), c.status, c.reason});
    t.print(out, "  ");
  }
  if (!p.irq_map.empty()) {
    out << "\nIRQ placement:\n";
    Table t({{"IRQ", Align::Right}, {"NIC"}, {"QUEUE", Align::Right}, {"KIND"}, {"CPUS"}, {"STATUS"}});
    for (const auto& e : p.irq_map)
      t.add_row({std::to_string(e["irq"].get<int>()), e["nic"].get<std::string>(),
                 e["queue"].is_null() ? Table::Cell() : std::to_string(e["queue"].get<int>()),
                 e["kind"].get<std::string>(), e["cpus"].get<std::string>(), e["status"].get<std::string>()});
    t.print(out, "  ");
  }
  if (!p.excluded.empty()) {
    out << "\nleft out by conditions (" << p.excluded.size() << "):\n";
    Table t({{"ITEM"}, {"BECAUSE"}});
    for (const auto& x : p.excluded) t.add_row({x.item, x.reason});
    t.print(out, "  ");
  }
  if (netns)
    out << "\n* per network namespace: applies to the namespace tunectl runs in (run it inside a\n"
           "  container's namespace to tune that one).\n";
  for (const auto& n : p.notes) out << "\nnote: " << n << "\n";
}

int run_plan(const std::vector<std::string>& args) {
  po::options_description opts("plan options");
  opts.add_options()
      ("profile,p", po::value<std::string>()->required(), "built-in profile name or path to a .json profile")
      ("root", po::value<std::string>()->default_value("/"), "host root: / (live) or a captured tree")
      ("json", "print the plan as JSON and nothing else");
  po::variables_map vm;
  if (!parse_options("plan", "-p PROFILE [--root DIR] [--json]\n\nComputes what `apply` would change; never writes.",
                     opts, args, vm))
    return 0;
  const Profile profile = load_profile(vm["profile"].as<std::string>());
  const Host host = host_for_root(vm["root"].as<std::string>());
  const Plan plan = make_plan(host, plan_snapshot(host), profile);
  if (vm.count("json"))
    std::cout << json(plan).dump(2) << "\n";
  else
    print_plan(std::cout, plan);
  return 0;
}

}  // namespace

Verb verb_plan() { return {"plan", "show what applying a profile would change (pure: writes nothing)", run_plan}; }

}  // namespace tunectl::cli
