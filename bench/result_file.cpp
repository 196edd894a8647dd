#include "bench/result_file.h"

#include "core/errors.h"
#include "core/file_io.h"

namespace tunectl::bench {

json load_result_file(const std::string& path) {
  const ReadResult r = read_regular_file(path, kMaxResultFileBytes);
  if (!r.ok) throw InputError(r.error);
  try {
    return json::parse(r.data);
  } catch (const json::exception& e) {
    throw InputError(path + ": " + e.what());
  }
}

}  // namespace tunectl::bench
