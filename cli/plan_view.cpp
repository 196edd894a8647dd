// The terminal view of a Plan, shared by plan and apply (see plan_view.h).
#include "cli/plan_view.h"

#include <string>

#include "cli/common_options.h"
#include "core/json_text.h"
#include "core/table.h"

namespace tunectl::cli {
namespace {

using Align = Table::Align;

// Long reasons stay readable in a terminal; --json has them whole.
std::string clip(const std::string& s, size_t n = 72) { return s.size() <= n ? s : s.substr(0, n - 3) + "..."; }

std::string knob_label(const Change& c) { return c.knob + (c.per_netns ? " *" : ""); }

}  // namespace

void print_plan(std::ostream& out, const Plan& p) {
  out << "plan: profile " << escape_for_terminal(p.profile) << " (sha256 " << p.profile_digest.substr(0, 12) << ") for " << root_label(p.root) << "\n";
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
    for (const Change& c : p.skipped) t.add_row({knob_label(c), to_string(c.status), c.reason});
    t.print(out, "  ");
  }
  if (!p.irq_map.empty()) {
    out << "\nIRQ placement:\n";
    Table t({{"IRQ", Align::Right}, {"NIC"}, {"QUEUE", Align::Right}, {"KIND"}, {"CPUS"}, {"STATUS"}});
    for (const IrqMapEntry& e : p.irq_map)
      t.add_row({std::to_string(e.irq), e.nic, e.queue ? std::to_string(*e.queue) : Table::Cell(), e.kind, e.cpus,
                 e.status});
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
  for (const auto& n : p.notes) out << "\nnote: " << escape_for_terminal(n) << "\n";
  print_warning_lines(out, p.warnings);
  out << "\nplan digest: " << p.digest << " (apply --expect-plan " << p.digest.substr(0, 12) << "... applies only this plan)\n";
}

void print_warning_lines(std::ostream& out, const std::vector<std::string>& warnings) {
  if (warnings.empty()) return;
  out << "\nwarnings (--strict refuses these and every skipped setting):\n";
  for (const auto& w : warnings) out << "  warning: " << escape_for_terminal(w) << "\n";
}

void print_side_lists(std::ostream& out, const std::vector<Change>& skipped, size_t already) {
  if (!skipped.empty()) {
    out << "\nskipped, never written:\n";
    Table t({{"KNOB"}, {"STATUS"}, {"REASON"}});
    for (const auto& c : skipped) t.add_row({c.knob, to_string(c.status), c.reason});
    t.print(out, "  ");
  }
  if (already) out << "\nalready as desired: " << already << " knob(s)\n";
}

}  // namespace tunectl::cli
