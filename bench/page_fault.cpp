// page_fault: first-touch fault throughput. Each run maps a fresh buffer, touches one byte per
// 4 KiB page, and counts the minor faults the kernel took (getrusage) and the thread CPU time —
// once with MADV_NOHUGEPAGE and once with MADV_HUGEPAGE, so THP's cost/benefit on allocation-
// heavy workloads (zeroing 2 MiB at a time, fewer faults) is measured, not assumed.
#include <sys/resource.h>

#include <algorithm>

#include "core/errors.h"
#include "bench/bench.h"
#include "bench/mem_buffer.h"

namespace tunectl::bench {
namespace {

struct Touch {
  double seconds = 0;
  long faults = 0;
  int64_t huge_kb = 0;
};

Touch first_touch(size_t bytes, PageMode mode) {
  MemBuffer buf(bytes, mode);
  struct rusage before {}, after {};
  ::getrusage(RUSAGE_THREAD, &before);
  const double t0 = thread_cpu_ns();  // the kernel's fault work is this thread's system time
  volatile uint8_t* p = buf.data();
  for (size_t off = 0; off < buf.size(); off += 4096) p[off] = 1;
  const double t1 = thread_cpu_ns();
  ::getrusage(RUSAGE_THREAD, &after);
  Touch t;
  t.seconds = (t1 - t0) * 1e-9;
  t.faults = after.ru_minflt - before.ru_minflt;
  t.huge_kb = buf.anon_huge_kb().value_or(0);
  return t;  // the buffer is unmapped here, outside the timed part
}

class PageFault : public Benchmark {
 public:
  std::string name() const override { return "page_fault"; }
  std::string summary() const override { return "first-touch page-fault throughput, 4 KiB pages vs THP"; }
  std::vector<OptionSpec> options() const override {
    return {{"size-mb", "512", "memory first-touched per page mode per run (16..16384)"}};
  }
  double estimated_seconds(const Options& opts) const override {
    return 2 * 0.3 * opts.number("size-mb") / 1024;  // both page modes, ~0.3 s per GiB
  }
  std::vector<MetricSpec> metrics() const override {
    return {{"faults_per_s_4k", "faults/s", true},
            {"faults_per_s_thp", "faults/s", true},
            {"gib_per_s_4k", "GiB/s", true},
            {"gib_per_s_thp", "GiB/s", true},
            {"faults_4k", "faults", false},
            {"faults_thp", "faults", false}};
  }
  std::optional<std::string> unavailable(const Host& host, const Options& o) const override {
    o.integer_in("size-mb", 16, 16384);  // a usage error, thrown
    if (!host.is_live()) return "runs on the live host only";
    return std::nullopt;
  }
  RunResult run_once(const Options& o) override {
    const size_t bytes = static_cast<size_t>(o.integer("size-mb")) << 20;
    const double gib = static_cast<double>(bytes) / (1u << 30);
    // Alternate which mode goes first so neither always inherits the other's freed memory.
    // Every second run, not every run: the runner alternates which side of an A/B pair runs first
    // every pair, and flipping the mode order every run would tie the two together (side A always
    // THP-first when it runs first); flipping it every second run gives each side all four
    // combinations of position and mode order.
    const bool thp_first = (runs_++ / 2 % 2) == 1;
    Touch small, huge;
    if (thp_first) huge = first_touch(bytes, PageMode::kThp);
    small = first_touch(bytes, PageMode::k4K);
    if (!thp_first) huge = first_touch(bytes, PageMode::kThp);
    RunResult r;
    r.metrics["faults_per_s_4k"] = small.faults / small.seconds;
    r.metrics["faults_per_s_thp"] = huge.faults / huge.seconds;
    r.metrics["gib_per_s_4k"] = gib / small.seconds;
    r.metrics["gib_per_s_thp"] = gib / huge.seconds;
    r.metrics["faults_4k"] = static_cast<double>(small.faults);
    r.metrics["faults_thp"] = static_cast<double>(huge.faults);
    r.detail["thp_kb_used"] = huge.huge_kb;
    r.detail["thp_first"] = thp_first;
    min_huge_kb_ = runs_ == 1 ? huge.huge_kb : std::min(min_huge_kb_, huge.huge_kb);
    return r;
  }
  json notes() const override {
    // Confirmed only when every run's THP buffer showed huge pages (warm-up included).
    const bool confirmed = runs_ > 0 && min_huge_kb_ > 0;
    return {{"thp_confirmed", confirmed},
            {"thp_note", confirmed ? "smaps showed AnonHugePages on the THP buffer in every run"
                                   : "some run's THP buffer got no huge pages (THP off or memory fragmented): "
                                     "faults_per_s_thp then measures 4 KiB faults"}};
  }

 private:
  int runs_ = 0;
  int64_t min_huge_kb_ = 0;
};

}  // namespace

BenchKind bench_page_fault() { return {"page_fault", [] { return std::make_unique<PageFault>(); }}; }

}  // namespace tunectl::bench
