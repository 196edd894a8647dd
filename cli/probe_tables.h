// Human-readable, aligned tables for `tunectl probe`: one section per probed area.
#pragma once
#include <ostream>

#include "probes/snapshot.h"

namespace tunectl::cli {
void print_probe_tables(std::ostream& out, const Snapshot& snap);
}
