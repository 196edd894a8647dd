// mem_latency: a random dependent-load pointer chase over a buffer far beyond TLB reach, once
// on 4 KiB pages (MADV_NOHUGEPAGE) and once on THP (MADV_HUGEPAGE), in the same run so the two
// are paired. One load per page, at a random cache line inside it, so every step needs a new
// translation: with 4 KiB pages that is a page walk, with 2 MiB pages the STLB usually holds it.
// smaps tells whether the kernel really gave us huge pages; the result says so.
// Both buffers are allocated afresh in every run: runs on one buffer share its physical placement
// (cache colouring, which pages are huge), so they are not independent samples, and two A/A sides
// with a buffer each differed by more than the noise band (4 of 20 A/A comparisons called
// improved/regressed). Fresh buffers also let a THP setting changed between runs take effect.
// On multi-node hosts it also measures a node x node matrix (CPU on node i, memory on node j).
#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>

#include "core/errors.h"
#include "probes/topology.h"
#include "bench/affinity.h"
#include "bench/bench.h"
#include "bench/mem_buffer.h"

namespace tunectl::bench {
namespace {

constexpr size_t kPage = 4096, kLine = 64;

// Writes a single random cycle through one line of every page; returns the first offset.
uint64_t build_chase(const MemBuffer& buf, uint64_t seed) {
  const size_t pages = buf.size() / kPage;
  std::vector<uint32_t> order(pages);
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::uniform_int_distribution<uint64_t> line(0, kPage / kLine - 1);
  std::vector<uint64_t> offset(pages);
  for (size_t i = 0; i < pages; ++i) offset[i] = order[i] * kPage + line(rng) * kLine;
  for (size_t i = 0; i < pages; ++i)
    *reinterpret_cast<uint64_t*>(buf.data() + offset[i]) = offset[(i + 1) % pages];
  return offset[0];
}

// Nanoseconds per dependent load over `accesses` steps, in the thread's CPU time: on a shared
// machine, time spent preempted by other load is not memory latency.
double chase_ns(const MemBuffer& buf, uint64_t start, int64_t accesses) {
  const uint8_t* base = buf.data();
  uint64_t at = start;
  const double t0 = thread_cpu_ns();
  for (int64_t i = 0; i < accesses; ++i) at = *reinterpret_cast<const volatile uint64_t*>(base + at);
  const double t1 = thread_cpu_ns();
  // Keep the chain live so the loop cannot be dropped.
  if (at == ~0ull) std::abort();
  return (t1 - t0) / static_cast<double>(accesses);
}

struct Chase {
  std::unique_ptr<MemBuffer> buf;
  uint64_t start = 0;
};

Chase make_chase(size_t bytes, PageMode mode, uint64_t seed, int node = -1) {
  Chase c;
  c.buf = std::make_unique<MemBuffer>(bytes, mode);
  if (node >= 0 && !c.buf->bind_to_node(node)) throw Error("mbind to node " + std::to_string(node) + " failed");
  std::memset(c.buf->data(), 0, c.buf->size());  // fault everything in before timing
  c.start = build_chase(*c.buf, seed);
  return c;
}

class MemLatency : public Benchmark {
 public:
  std::string name() const override { return "mem_latency"; }
  std::string summary() const override {
    return "pointer-chase latency with 4 KiB pages vs THP (smaps-confirmed); node x node matrix on NUMA hosts";
  }
  std::vector<OptionSpec> options() const override {
    return {{"size-mb", "1024", "buffer size per page mode, 64..16384 (far beyond TLB reach: >= 1024 recommended)"},
            {"accesses", "1000000", "dependent loads timed per page mode per run (1000..200000000)"},
            {"cpu", "-1", "pin to this CPU (-1: do not pin)"},
            {"matrix", "auto", "node x node matrix: auto (when >1 node), on, off"}};
  }
  double estimated_seconds(const Options& opts) const override {
    // Faulting two buffers (~0.3 s per GiB each) plus two chases at a few hundred ns a load.
    return 0.6 * opts.number("size-mb") / 1024 + 2 * 0.4e-6 * opts.number("accesses");
  }
  std::vector<MetricSpec> metrics() const override {
    return {{"ns_per_access_4k", "ns", false},
            {"ns_per_access_thp", "ns", false},
            {"thp_speedup", "x", true}};
  }
  std::optional<std::string> unavailable(const Host& host, const Options& o) const override {
    check_options(o);
    if (!host.is_live()) return "runs on the live host only";
    return std::nullopt;
  }

  void setup(const Options& o) override {
    pin_ = std::make_unique<ScopedAffinity>(std::vector<int>{static_cast<int>(o.integer("cpu"))});
    buffer_kb_ = o.integer("size-mb") << 10;
    ProbeErrors errs;
    Topology topo = probe_topology(Host("/"), errs);
    const std::string m = o.str("matrix");
    if (m == "on" || (m == "auto" && topo.nodes.size() > 1)) matrix_nodes_ = topo.nodes;
  }

  void teardown() override { pin_.reset(); }

  RunResult run_once(const Options& o) override {
    const int64_t n = o.integer("accesses");
    const size_t bytes = static_cast<size_t>(buffer_kb_) << 10;
    const uint64_t seed = static_cast<uint64_t>(runs_) + 1;  // a new chase order every run too
    const Chase small = make_chase(bytes, PageMode::k4K, seed);
    const Chase huge = make_chase(bytes, PageMode::kThp, seed);
    const int64_t thp_kb = huge.buf->anon_huge_kb().value_or(0);
    min_thp_kb_ = runs_ == 0 ? thp_kb : std::min(min_thp_kb_, thp_kb);
    RunResult r;
    // Alternate which mode goes first so neither always runs on a warmer cache.
    // Every second run, not every run: the runner alternates which side of an A/B pair runs first
    // every pair, and flipping the mode order every run would tie the two together (side A always
    // THP-first when it runs first); flipping it every second run gives each side all four
    // combinations of position and mode order.
    const bool thp_first = (runs_++ / 2 % 2) == 1;
    double ns_thp = 0, ns_4k = 0;
    if (thp_first) ns_thp = chase_ns(*huge.buf, huge.start, n);
    ns_4k = chase_ns(*small.buf, small.start, n);
    if (!thp_first) ns_thp = chase_ns(*huge.buf, huge.start, n);
    r.detail["thp_kb_used"] = thp_kb;  // a fact about this run's buffer, not a metric
    r.metrics["ns_per_access_4k"] = ns_4k;
    r.metrics["ns_per_access_thp"] = ns_thp;
    r.metrics["thp_speedup"] = ns_4k / ns_thp;
    if (!matrix_nodes_.empty()) r.detail["node_matrix"] = node_matrix(o);
    return r;
  }

  json notes() const override {
    json n;
    // The run whose THP buffer got the fewest huge pages speaks for the result.
    const bool confirmed = runs_ > 0 && min_thp_kb_ > 0;
    n["thp_confirmed"] = confirmed;
    n["thp_fraction"] = runs_ > 0 && buffer_kb_ > 0 ? static_cast<double>(min_thp_kb_) / static_cast<double>(buffer_kb_)
                                                    : 0.0;
    n["thp_note"] = confirmed ? "AnonHugePages in smaps confirms every run's THP buffer used huge pages"
                              : "the kernel gave a THP buffer no huge pages (THP off or memory fragmented): "
                                "ns_per_access_thp measures 4 KiB pages too";
    if (matrix_nodes_.empty()) n["node_matrix"] = "single NUMA node: matrix not applicable";
    return n;
  }

 private:
  // ns per access for CPU on node i (rows) and memory on node j (columns), smaller buffers.
  json node_matrix(const Options& o) {
    json rows = json::array();
    const size_t bytes = std::max<size_t>(256u << 20, (static_cast<size_t>(o.integer("size-mb")) << 20) / 4);
    for (const auto& cpu_node : matrix_nodes_) {
      auto cpus = parse_cpulist(cpu_node.cpus);
      ScopedAffinity pin(cpus.ok() ? *cpus.value : std::vector<int>{});
      json row = json::array();
      for (const auto& mem_node : matrix_nodes_) {
        Chase c = make_chase(bytes, PageMode::k4K, 7, mem_node.node);
        row.push_back(chase_ns(*c.buf, c.start, o.integer("accesses") / 4));
      }
      rows.push_back(row);
    }
    return json{{"cpu_nodes_by_mem_nodes_ns", rows}};
  }

  // Bad option values are usage errors (InputError), not reasons the host cannot run this.
  static void check_options(const Options& o) {
    o.integer_in("size-mb", 64, 16384);
    o.integer_in("accesses", 1000, 200000000);
    const int64_t cpu = o.integer("cpu");
    const auto cpus = allowed_cpus();
    if (cpu != -1 && std::find(cpus.begin(), cpus.end(), cpu) == cpus.end())
      throw InputError("option --cpu: " + std::to_string(cpu) + " is not -1 or a CPU this process may use");
    const std::string m = o.str("matrix");
    if (m != "auto" && m != "on" && m != "off")
      throw InputError("option --matrix: expected auto, on or off, got '" + m + "'");
  }

  std::unique_ptr<ScopedAffinity> pin_;
  int64_t min_thp_kb_ = 0, buffer_kb_ = 0;  // kept for notes(), which runs after teardown
  std::vector<NodeInfo> matrix_nodes_;
  int runs_ = 0;
};

}  // namespace

BenchKind bench_mem_latency() { return {"mem_latency", [] { return std::make_unique<MemLatency>(); }}; }

}  // namespace tunectl::bench
