// irq_spread: where a NIC's queue interrupts really land. Counts each queue IRQ's per-CPU
// interrupts over a window while the host's own traffic flows, and reports how evenly they
// spread over the CPUs they may use and what fraction landed on the intended CPUs (--target, or
// each IRQ's requested affinity). It never generates traffic off the machine, and loopback
// traffic raises no NIC interrupts, so a NIC with no traffic is reported unavailable with the
// reason rather than given made-up numbers.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "core/errors.h"
#include "core/parse.h"
#include "probes/snapshot.h"
#include "bench/bench.h"
#include "bench/irq_spread.h"

namespace tunectl::bench {
namespace {

struct QueueIrq {
  int irq = 0;
  CpuSet allowed;  // requested affinity
};

// Per-CPU interrupt counts of `irqs` right now: irq -> cpu -> count.
std::map<int, std::map<int, uint64_t>> read_counts(const Host& host, const std::vector<QueueIrq>& irqs) {
  ProbeErrors errs;
  Irqs all = probe_irqs(host, errs);
  std::map<int, std::map<int, uint64_t>> out;
  for (const auto& info : all.irqs)
    for (const auto& q : irqs)
      if (q.irq == info.irq) {
        const std::vector<uint64_t> counts = info.counts.dense();  // every CPU, zeros included
        for (size_t i = 0; i < counts.size() && i < all.count_cpus.size(); ++i) out[q.irq][all.count_cpus[i]] = counts[i];
      }
  return out;
}

class IrqSpread : public Benchmark {
 public:
  std::string name() const override { return "irq_spread"; }
  std::string summary() const override {
    return "how evenly a NIC's queue interrupts land, and on the intended CPUs, while traffic flows";
  }
  std::vector<OptionSpec> options() const override {
    return {{"nic", "", "interface (default: the first physical NIC with queue IRQs)"},
            {"window-ms", "2000", "counting window per run (100..60000)"},
            {"target", "", "intended CPUs (cpulist); default: each IRQ's requested affinity"},
            {"min-interrupts", "20", "fewer interrupts than this in a window flags the run disturbed"}};
  }
  double estimated_seconds(const Options& opts) const override {
    return opts.number("window-ms") / 1000;
  }
  std::vector<MetricSpec> metrics() const override {
    return {{"imbalance", "max/mean", false}, {"on_target_fraction", "fraction", true}, {"interrupts_per_s", "1/s", true}};
  }
  std::optional<std::string> unavailable(const Host& host, const Options& o) const override {
    check_options(o);
    if (!host.is_live()) return "runs on the live host only";
    std::string why;
    QueueIrqs q = find_queue_irqs(host, o.str("nic"), &why);
    if (q.irqs.empty()) return why;
    // A short look first: too little traffic to fill a window gives no spread worth reporting.
    constexpr int kLookMs = 500;
    auto before = read_counts(host, q.irqs);
    std::this_thread::sleep_for(std::chrono::milliseconds(kLookMs));
    const uint64_t seen = total(before, read_counts(host, q.irqs));
    const double expected = static_cast<double>(seen) * static_cast<double>(o.integer("window-ms")) / kLookMs;
    if (expected < static_cast<double>(o.integer("min-interrupts")))
      return std::to_string(seen) + " interrupts on " + q.nic + "'s queue IRQs in " + std::to_string(kLookMs) +
             " ms, so a " + std::to_string(o.integer("window-ms")) + " ms window would see fewer than --min-interrupts " +
             std::to_string(o.integer("min-interrupts")) + ": too little traffic flows through it (loopback traffic "
             "raises no NIC interrupts, and tunectl sends none off the machine)";
    return std::nullopt;
  }
  void setup(const Options& o) override {
    std::string why;
    QueueIrqs q = find_queue_irqs(host_, o.str("nic"), &why);
    if (q.irqs.empty()) throw Error(why);
    nic_ = q.nic;
    irqs_ = q.irqs;
    if (!o.str("target").empty()) target_ = *parse_cpulist(o.str("target")).value;
  }
  RunResult run_once(const Options& o) override {
    const auto window = std::chrono::milliseconds(o.integer("window-ms"));
    auto t0 = std::chrono::steady_clock::now();
    auto before = read_counts(host_, irqs_);
    std::this_thread::sleep_for(window);
    auto after = read_counts(host_, irqs_);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::vector<IrqWindow> windows;
    json per_irq = json::object();
    for (const auto& q : irqs_) {
      IrqWindow w{q.allowed, target_.empty() ? q.allowed : target_, {}};
      json cpus = json::object();
      for (const auto& [cpu, count] : after[q.irq]) {
        const uint64_t d = count - std::min(count, before[q.irq][cpu]);
        w.counts[cpu] = d;
        if (d) cpus[std::to_string(cpu)] = d;
      }
      per_irq[std::to_string(q.irq)] = cpus;
      windows.push_back(std::move(w));
    }
    const Spread spread = interrupt_spread(windows);
    const uint64_t all = spread.interrupts;
    RunResult r;
    // No interrupts: the spread metrics are absent (null in the result) and stay out of the statistics.
    if (spread.imbalance) r.metrics["imbalance"] = *spread.imbalance;
    if (spread.on_target_fraction) r.metrics["on_target_fraction"] = *spread.on_target_fraction;
    r.metrics["interrupts_per_s"] = static_cast<double>(all) / seconds;
    r.detail["nic"] = nic_;
    r.detail["per_irq_per_cpu"] = per_irq;
    if (all < static_cast<uint64_t>(o.integer("min-interrupts")))
      r.disturbed = "only " + std::to_string(all) + " interrupts in the window: too little traffic to judge the spread";
    return r;
  }

 private:
  static uint64_t total(const std::map<int, std::map<int, uint64_t>>& a, const std::map<int, std::map<int, uint64_t>>& b) {
    uint64_t sum = 0;
    for (const auto& [irq, cpus] : b)
      for (const auto& [cpu, count] : cpus) {
        auto ia = a.find(irq);
        uint64_t was = ia == a.end() || !ia->second.count(cpu) ? 0 : ia->second.at(cpu);
        sum += count - std::min(count, was);
      }
    return sum;
  }

  // Bad option values are usage errors (InputError), not reasons the host cannot run this.
  static void check_options(const Options& o) {
    o.integer_in("window-ms", 100, 60000);
    o.integer_in("min-interrupts", 0, 1000000000);
    if (!o.str("target").empty() && !parse_cpulist(o.str("target")).ok())
      throw InputError("option --target: " + parse_cpulist(o.str("target")).error);
  }

  struct QueueIrqs {
    std::string nic;
    std::vector<QueueIrq> irqs;
  };
  // The queue IRQs (rx, tx, txrx) of `want` (or the first physical NIC that has some).
  static QueueIrqs find_queue_irqs(const Host& host, const std::string& want, std::string* why) {
    Snapshot snap = take_snapshot(host, {"irq", "nic"});
    if (!snap.nics || !snap.irqs) {
      *why = "cannot read NICs/IRQs: " + (snap.unavailable.count("nic") ? snap.unavailable.at("nic") : snap.unavailable["irq"]);
      return {};
    }
    for (const auto& nic : *snap.nics) {
      if (nic.is_virtual || (!want.empty() && nic.name != want)) continue;
      std::vector<QueueIrq> out;
      for (const auto& ni : nic.irqs) {
        if (ni.kind == "other") continue;
        for (const auto& info : *snap.irqs)
          if (info.irq == ni.irq) {
            auto cpus = parse_cpulist(info.affinity.value_or(""));
            out.push_back({ni.irq, cpus.ok() ? *cpus.value : CpuSet{}});
          }
      }
      if (!out.empty()) return {nic.name, out};
      if (!want.empty()) break;
    }
    *why = want.empty() ? "no physical NIC with queue IRQs on this host" : "NIC '" + want + "' not found or has no queue IRQs";
    return {};
  }

  Host host_{"/"};
  std::string nic_;
  std::vector<QueueIrq> irqs_;
  CpuSet target_;
};

}  // namespace

Spread interrupt_spread(const std::vector<IrqWindow>& irqs) {
  Spread s;
  std::map<int, uint64_t> per_cpu;  // summed over the IRQs
  std::set<int> allowed;            // CPUs any of them may use
  uint64_t on_target = 0;
  for (const auto& w : irqs) {
    allowed.insert(w.allowed.begin(), w.allowed.end());
    for (const auto& [cpu, count] : w.counts) {
      per_cpu[cpu] += count;
      s.interrupts += count;
      if (std::binary_search(w.intended.begin(), w.intended.end(), cpu)) on_target += count;
    }
  }
  if (s.interrupts == 0) return s;
  uint64_t peak = 0;
  for (int cpu : allowed) peak = std::max(peak, per_cpu[cpu]);
  if (!allowed.empty())
    s.imbalance = static_cast<double>(peak) / (static_cast<double>(s.interrupts) / static_cast<double>(allowed.size()));
  s.on_target_fraction = static_cast<double>(on_target) / static_cast<double>(s.interrupts);
  return s;
}

BenchKind bench_irq_spread() { return {"irq_spread", [] { return std::make_unique<IrqSpread>(); }}; }

}  // namespace tunectl::bench
