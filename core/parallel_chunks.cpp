#include "core/parallel_chunks.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <future>
#include <thread>
#include <vector>

#include "core/parse.h"

namespace tunectl {
namespace {

constexpr size_t kMaxChunks = 8;

// CPUs in this process's affinity mask (a container or `taskset` may give it fewer than the host
// has); past cpu_set_t's 1024 CPUs the call fails and every CPU counts.
size_t usable_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return static_cast<size_t>(std::max(1, CPU_COUNT(&set)));
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

size_t worker_cap() {
  if (const char* env = std::getenv("TUNECTL_PROBE_THREADS")) {
    auto n = parse_int(env);
    if (n && *n >= 1) return std::min(static_cast<size_t>(*n), kMaxChunks);
  }
  return std::min(usable_cpus(), kMaxChunks);
}

size_t chunk_count(size_t items, size_t min_per_chunk) {
  if (min_per_chunk == 0) min_per_chunk = 1;
  return std::max<size_t>(1, std::min(worker_cap(), items / min_per_chunk));
}

void run_chunks(size_t items, size_t chunks, const std::function<void(size_t, size_t, size_t)>& fn) {
  chunks = std::max<size_t>(1, std::min(chunks, std::max<size_t>(items, 1)));
  auto bounds = [&](size_t k) { return items * k / chunks; };
  std::vector<std::future<void>> others;
  for (size_t k = 1; k < chunks; ++k)
    others.push_back(std::async(std::launch::async, fn, k, bounds(k), bounds(k + 1)));
  std::exception_ptr first;
  try {
    fn(0, 0, bounds(1));
  } catch (...) {
    first = std::current_exception();
  }
  for (auto& f : others) {  // every thread is joined before anything is rethrown
    try {
      f.get();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

void run_in_ordered_chunks(size_t items, size_t min_per_chunk, std::vector<std::string>& errors,
                           const std::function<void(size_t, size_t, std::vector<std::string>&)>& fn) {
  const size_t chunks = chunk_count(items, min_per_chunk);
  std::vector<std::vector<std::string>> chunk_errors(chunks);
  run_chunks(items, chunks, [&](size_t k, size_t begin, size_t end) { fn(begin, end, chunk_errors[k]); });
  for (const auto& e : chunk_errors) errors.insert(errors.end(), e.begin(), e.end());
}

std::launch side_task_launch() { return worker_cap() > 1 ? std::launch::async : std::launch::deferred; }

}  // namespace tunectl
