// Snapshot cost (Google Benchmark), run by scripts/bench-probe, never by the test suite.
// Benchmarks: the live host and each tree named in TUNECTL_BENCH_TREES="name=/dir,name2=/dir2",
// each as a full snapshot, a full snapshot plus its JSON text (what `probe --json` does; also with
// the full per-CPU count matrix, `--irq-counts full`), and one snapshot per area so a slow probe
// stands out. Counters cpus/irqs/cpu_x_irq give the size.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "probes/snapshot.h"

namespace {

using tunectl::Host;
using tunectl::Snapshot;

void set_size_counters(benchmark::State& state, const Snapshot& s) {
  const double cpus = s.topology ? static_cast<double>(s.topology->cpus.size()) : 0;
  const double irqs = s.irqs ? static_cast<double>(s.irqs->size()) : 0;
  state.counters["cpus"] = cpus;
  state.counters["irqs"] = irqs;
  state.counters["cpu_x_irq"] = cpus * irqs;
}

enum class Json { kNone, kSparse, kFull };

void snapshot(benchmark::State& state, const std::string& root, const std::vector<std::string>& only, Json to_json) {
  const Host host(root);
  for (auto _ : state) {
    Snapshot s = tunectl::take_snapshot(host, only);
    if (to_json != Json::kNone) {
      s.irq_counts = to_json == Json::kFull ? tunectl::IrqCounts::kFull : tunectl::IrqCounts::kSparse;
      std::string text = tunectl::json(s).dump(2);
      benchmark::DoNotOptimize(text.data());
    }
    benchmark::DoNotOptimize(&s);
  }
  if (only.empty()) set_size_counters(state, tunectl::take_snapshot(host));
}

void register_host(const std::string& name, const std::string& root) {
  auto reg = [&](const std::string& label, std::vector<std::string> only, Json to_json) {
    benchmark::RegisterBenchmark(label.c_str(), [=](benchmark::State& st) { snapshot(st, root, only, to_json); })
        ->Unit(benchmark::kMillisecond)
        ->MeasureProcessCPUTime()  // the areas and IRQ chunks run on threads: all of their CPU time
        ->UseRealTime();
  };
  reg("snapshot/" + name + "/all", {}, Json::kNone);
  reg("snapshot_json/" + name + "/all", {}, Json::kSparse);
  reg("snapshot_json_full_counts/" + name + "/all", {}, Json::kFull);
  for (const auto& area : tunectl::snapshot_areas()) reg("snapshot/" + name + "/" + area, {area}, Json::kNone);
}

}  // namespace

int main(int argc, char** argv) {
  register_host("live", "/");
  if (const char* trees = std::getenv("TUNECTL_BENCH_TREES")) {
    std::string spec = trees;
    size_t i = 0;
    while (i < spec.size()) {
      size_t j = spec.find(',', i);
      if (j == std::string::npos) j = spec.size();
      const std::string item = spec.substr(i, j - i);
      const size_t eq = item.find('=');
      if (eq != std::string::npos) register_host(item.substr(0, eq), item.substr(eq + 1));
      i = j + 1;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
