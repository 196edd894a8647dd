#include "audit/bench_choice.h"

#include <algorithm>
#include <sstream>

#include "bench/bench.h"
#include "core/errors.h"
#include "core/parse.h"

namespace tunectl {
namespace {

// A knob address's benchmarks under `auto`: the first rule whose prefix matches.
struct Rule {
  const char* prefix;
  std::vector<std::string> benches;
  const char* why;
};
const std::vector<Rule>& rules() {
  static const std::vector<Rule> r = {
      {"thp:", {"mem_latency", "page_fault"}, "THP changes TLB reach and the cost of faulting memory"},
      {"sysctl:net.", {"tcp_rr", "tcp_crr", "tcp_stream"}, "network sysctls act on TCP round trips, setup and streaming"},
      {"sysctl:vm.", {"mem_latency", "page_fault"}, "vm sysctls act on memory"},
      {"sysctl:kernel.", {"wakeup"}, "kernel sysctls act on scheduling and timers"},
      {"irq:", {"tcp_rr", "irq_spread"}, "IRQ placement moves where packets are handled"},
      {"rps:", {"tcp_rr", "irq_spread"}, "receive steering moves where packets are handled"},
      {"rps_flow:", {"tcp_rr"}, "flow steering moves where packets are handled"},
      {"xps:", {"tcp_rr", "tcp_stream"}, "transmit steering picks the queue a CPU sends on"},
      {"ethtool:", {"tcp_rr", "tcp_stream", "irq_spread"}, "channels, rings and coalescing shape NIC latency and throughput"},
      {"cgroup:", {"cpu_quota"}, "cpu.max is what a workload in that cgroup gets (measured with its before/after values)"},
      {"cpufreq:", {"wakeup", "tcp_rr"}, "frequency policy changes how fast a woken CPU runs"},
      {"pstate:", {"wakeup", "tcp_rr"}, "frequency policy changes how fast a woken CPU runs"},
      {"cpuidle:", {"wakeup", "tcp_rr"}, "deep idle states add wakeup latency"},
      {"epb:", {"wakeup", "tcp_rr"}, "the energy/performance bias changes frequency ramp-up"},
  };
  return r;
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// cpu.max text ("max 100000", "30000 100000", "") -> cpu_quota's quota/period options. "max" and a
// cgroup the plan creates (no previous value) mean unlimited: the largest quota the bench takes.
BenchOptions cpu_quota_options(const std::string& cpu_max) {
  const auto f = split_ws(cpu_max);
  const std::string period = f.size() > 1 ? f[1] : "100000";
  if (f.empty() || f[0] == "max") {
    const auto p = parse_int(period);
    return {{"quota", std::to_string(p.value_or(100000) * 1024)}, {"period", period}};
  }
  return {{"quota", f[0]}, {"period", period}};
}

bool is_cpu_max(const std::string& knob) {
  return starts_with(knob, "cgroup:") &&
         (knob.size() >= 8 && (knob.compare(knob.size() - 8, 8, ":cpu.max") == 0 ||
                               knob.find(":cpu.cfs_quota_us") != std::string::npos));
}

class Chooser {
 public:
  explicit Chooser(const std::map<std::string, BenchOptions>& overrides) : overrides_(overrides) {}

  void add(const std::string& bench, BenchOptions a, BenchOptions b, const std::string& because) {
    (void)bench::make_bench(bench);  // InputError listing the known names
    for (auto* o : {&a, &b})
      if (auto it = overrides_.find(bench); it != overrides_.end())
        for (const auto& [k, v] : it->second) (*o)[k] = v;
    for (auto& c : out_)
      if (c.bench == bench && c.options_a == a && c.options_b == b) {
        if (std::find(c.because.begin(), c.because.end(), because) == c.because.end()) c.because.push_back(because);
        return;
      }
    out_.push_back({bench, std::move(a), std::move(b), {because}});
  }
  std::vector<BenchChoice> take() { return std::move(out_); }

 private:
  const std::map<std::string, BenchOptions>& overrides_;
  std::vector<BenchChoice> out_;
};

// The benchmarks `auto` maps a knob address to (none for cgroup files other than cpu.max).
std::vector<std::string> benches_for(const std::string& knob) {
  if (is_cpu_max(knob)) return {"cpu_quota"};
  for (const auto& r : rules())
    if (starts_with(knob, r.prefix)) return starts_with(knob, "cgroup:") ? std::vector<std::string>{} : r.benches;
  return {};
}

bool sees(const Change& c, const std::string& bench) {
  const auto b = benches_for(c.knob);
  return std::find(b.begin(), b.end(), bench) != b.end();
}

// Why `choice` cannot show anything on this host, or "": only the profile's expectations brought
// it in, no planned change is one it sees, and the knobs it would see were skipped here.
std::string cannot_see(const BenchChoice& choice, const Plan& plan) {
  for (const auto& why : choice.because)
    if (why.rfind("verify.bench[", 0) != 0) return "";
  for (const Change& c : plan.changes)
    if (sees(c, choice.bench)) return "";
  std::string skipped;
  size_t n = 0;
  for (const Change& c : plan.skipped)
    if (sees(c, choice.bench) && n++ < 3) skipped += (skipped.empty() ? "" : "; ") + c.knob + " (" + to_string(c.status) + (c.reason.empty() ? "" : ": " + c.reason) + ")";
  if (n == 0) return "";
  if (n > 3) skipped += "; and " + std::to_string(n - 3) + " more";
  return "this host cannot take any setting it measures: " + skipped;
}

}  // namespace

std::vector<std::string> auto_mapping_lines() {
  std::vector<std::string> lines;
  for (const auto& r : rules()) {
    std::string l = std::string(r.prefix) + " -> ";
    for (size_t i = 0; i < r.benches.size(); ++i) l += (i ? ", " : "") + r.benches[i];
    lines.push_back(l + " (" + r.why + ")");
  }
  return lines;
}

std::vector<BenchChoice> choose_benchmarks(const Plan& plan, const json& verify, const std::string& names,
                                           const std::map<std::string, BenchOptions>& overrides) {
  for (const auto& [bench, opts] : overrides) {
    auto b = bench::make_bench(bench);
    (void)bench::resolve_options(*b, opts);  // InputError naming an unknown option
  }
  Chooser chooser(overrides);
  if (names == "auto") {
    for (const Change& c : plan.changes) {
      if (is_cpu_max(c.knob)) {
        chooser.add("cpu_quota", cpu_quota_options(c.current), cpu_quota_options(c.desired), c.knob);
        continue;
      }
      for (const auto& b : benches_for(c.knob)) chooser.add(b, {}, {}, c.knob);
    }
  } else if (names != "none") {
    std::istringstream in(names);
    for (std::string n; std::getline(in, n, ',');)
      if (!n.empty()) chooser.add(n, {}, {}, "--benches");
  }
  if (verify.is_object() && verify.contains("bench"))
    for (size_t i = 0; i < verify["bench"].size(); ++i) {
      const json& e = verify["bench"][i];
      BenchOptions o;
      if (e.contains("options"))
        for (const auto& [k, v] : e["options"].items()) o[k] = v.get<std::string>();
      chooser.add(e["bench"].get<std::string>(), o, o, "verify.bench[" + std::to_string(i) + "]");
    }
  auto chosen = chooser.take();
  for (auto& c : chosen) c.cannot_see = cannot_see(c, plan);
  return chosen;
}

}  // namespace tunectl
