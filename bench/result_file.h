// Reading a benchmark result file (schema tunectl.bench/1) that a user names, e.g. for compare.
// It goes through read_regular_file: a FIFO, a device (/dev/zero) or a runaway file is refused at
// once instead of blocking or filling memory.
#pragma once
#include <cstddef>
#include <string>

#include "core/json.h"

namespace tunectl::bench {

// Results hold a few numbers per run and metric: megabytes at most even for 10000 runs.
inline constexpr size_t kMaxResultFileBytes = size_t{64} << 20;

// The parsed JSON document (the schema is compare_results' to check). Throws InputError
// "<path>: <reason>": missing or unreadable, not a regular file, too large, not JSON.
json load_result_file(const std::string& path);

}  // namespace tunectl::bench
