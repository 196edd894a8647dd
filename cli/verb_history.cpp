// tunectl history: the recorded transactions, oldest first.
#include <iostream>

#include "core/table.h"
#include "cli/common_options.h"
#include "cli/verb.h"
#include "tuner/apply/transaction.h"

namespace tunectl::cli {
namespace {

int run_history(const std::vector<std::string>& args) {
  po::options_description opts("history options");
  add_common(opts, kRoot | kStateDir | kJson);
  po::variables_map vm;
  if (!parse_options("history",
                     "[--root DIR] [--state-dir DIR] [--json]\n\n"
                     "--json prints {\"state_dir\": ..., \"transactions\": [...]}.",
                     opts, args, vm))
    return 0;

  const Common common = read_common(vm);
  const std::string dir = state_dir_for(common.root, common.state_dir);
  const std::vector<Transaction> txs = history(common.root, common.state_dir);

  if (common.json) {
    json list = json::array();
    for (const auto& t : txs) list.push_back(summary_json(t));
    std::cout << json{{"state_dir", dir}, {"transactions", list}}.dump(2) << "\n";
    return 0;
  }
  if (txs.empty()) {
    std::cout << "no transactions recorded in " << dir << "\n";
    return 0;
  }
  Table t({{"ID"}, {"STARTED"}, {"PROFILE"}, {"SHA256"}, {"STATE"}, {"WRITTEN", Table::Align::Right},
           {"CHANGES", Table::Align::Right}});
  for (const auto& tx : txs) {
    const json s = summary_json(tx);
    t.add_row({tx.id.value_or(""), tx.started_at.value_or(""), tx.profile, tx.profile_digest.substr(0, 12),
               to_string(tx.state), std::to_string(s["written"].get<size_t>()), std::to_string(tx.changes.size())});
  }
  t.print(std::cout);
  return 0;
}

}  // namespace

Verb verb_history() { return {"history", "list applied, rolled-back and open transactions", run_history}; }

}  // namespace tunectl::cli
