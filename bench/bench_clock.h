// Clocks the benchmarks time themselves with.
#pragma once
#include <cstdint>

namespace tunectl::bench {
int64_t now_ns();             // CLOCK_MONOTONIC, nanoseconds
double thread_cpu_seconds();  // user + system time of the calling thread
}  // namespace tunectl::bench
