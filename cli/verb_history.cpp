// tunectl history: the recorded transactions, oldest first.
#include <iostream>

#include "core/table.h"
#include "cli/verb.h"
#include "tuner/apply/transaction.h"

namespace tunectl::cli {
namespace {

int run_history(const std::vector<std::string>& args) {
  po::options_description opts("history options");
  opts.add_options()
      ("root", po::value<std::string>()->default_value("/"), "host root: / (live) or a captured tree")
      ("state-dir", po::value<std::string>(), "state dir (default as for apply)")
      ("json", "print {\"state_dir\": ..., \"transactions\": [...]} and nothing else");
  po::variables_map vm;
  if (!parse_options("history", "[--root DIR] [--state-dir DIR] [--json]", opts, args, vm)) return 0;

  const std::string root = vm["root"].as<std::string>();
  std::optional<std::string> state_dir;
  if (vm.count("state-dir")) state_dir = vm["state-dir"].as<std::string>();
  const std::string dir = state_dir_for(root, state_dir);
  const std::vector<Transaction> txs = history(root, state_dir);

  if (vm.count("json")) {
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
    t.add_row({tx.id.value_or(""), tx.started_at.value_or(""), tx.profile, tx.profile_digest.substr(0, 12), tx.state,
               std::to_string(s["written"].get<size_t>()), std::to_string(tx.changes.size())});
  }
  t.print(std::cout);
  return 0;
}

}  // namespace

Verb verb_history() { return {"history", "list applied, rolled-back and open transactions", run_history}; }

}  // namespace tunectl::cli
