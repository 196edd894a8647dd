// PLACEHOLDER: replaced by the real tables.
#include "tuner/cli/probe_tables.h"
namespace tunectl::cli {
void print_probe_tables(std::ostream& out, const Snapshot& snap) { out << json(snap).dump(2) << "\n"; }
}  // namespace tunectl::cli
