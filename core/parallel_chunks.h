// Thousands of small independent file reads (a 1024-CPU host's 4096 IRQs) split across threads.
// The work is cut into contiguous chunks in input order, one per thread, and the caller merges the
// chunks' results in that order: the output never depends on scheduling, only the wall time does.
#pragma once
#include <cstddef>
#include <functional>
#include <future>
#include <string>
#include <vector>

namespace tunectl {

// How many threads a probe may use at once: the CPUs this process may run on, at most 8 (sysfs
// reads stop scaling past that). TUNECTL_PROBE_THREADS=N (1-8) sets it instead; 1 runs everything
// on the calling thread, one area after another.
size_t worker_cap();

// How many chunks `items` items get: 1 below 2 × min_per_chunk (a small host stays on one thread),
// else up to worker_cap().
size_t chunk_count(size_t items, size_t min_per_chunk);

// Runs fn(chunk, begin, end) for `chunks` contiguous ranges covering [0, items); chunk 0 on the
// calling thread, the others on their own. Returns after all have finished; the first exception
// (in chunk order) is rethrown then.
void run_chunks(size_t items, size_t chunks, const std::function<void(size_t chunk, size_t begin, size_t end)>& fn);

// The probes' use of the above: fn(begin, end, errors) over chunk_count(items, min_per_chunk)
// chunks, each with errors of its own that are appended to `errors` in chunk order afterwards,
// so they come out as from one thread going through the items in order.
void run_in_ordered_chunks(size_t items, size_t min_per_chunk, std::vector<std::string>& errors,
                           const std::function<void(size_t begin, size_t end, std::vector<std::string>& errors)>& fn);

// How a probe starts a side task: on its own thread, or deferred to where it is awaited when the
// probe must keep to one thread (worker_cap() == 1).
std::launch side_task_launch();

}  // namespace tunectl
