// tunectl history: the recorded transactions, oldest first.
#include <iostream>

#include "core/json_text.h"
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
                     "Oldest first, in the order they were applied (a sequence number, not the clock).\n"
                     "A journal that cannot be read is listed as corrupt with the reason; apply refuses\n"
                     "while one is there (it may hide an open transaction), rollback when it may be newer.\n"
                     "--json prints {\"state_dir\": ..., \"transactions\": [...], \"corrupt\": [{id, journal,\n"
                     "error}]}.",
                     opts, args, vm))
    return 0;

  const Common common = read_common(vm);
  if (common.json) {
    std::cout << dump_json(history_json(common.root, common.state_dir), 2) << "\n";
    return 0;
  }
  const std::string dir = state_dir_for(common.root, common.state_dir);
  std::vector<CorruptJournal> corrupt;
  const std::vector<Transaction> txs = history(common.root, common.state_dir, &corrupt);
  if (txs.empty() && corrupt.empty()) {
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
  for (const auto& c : corrupt) t.add_row({c.id, "", "", "", "corrupt", "", ""});
  t.print(std::cout);
  for (const auto& c : corrupt) std::cout << "corrupt: " << c.id << ": " << c.reason << "\n";
  return 0;
}

}  // namespace

Verb verb_history() { return {"history", "list applied, rolled-back and open transactions", run_history}; }

}  // namespace tunectl::cli
