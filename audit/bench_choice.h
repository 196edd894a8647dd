// Which benchmarks an audit runs: the ones that can see the plan's knobs (`auto`) or the ones
// named, plus every benchmark the profile's verify.bench names, each once per distinct options.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/json.h"
#include "tuner/plan/plan.h"

namespace tunectl {

using BenchOptions = std::map<std::string, std::string>;  // as given (defaults not filled in)

struct BenchChoice {
  std::string bench;
  BenchOptions options_a, options_b;  // differ only where the knob is the benchmark's own input
  std::vector<std::string> because;   // knob addresses and "verify.bench[i]"
  // Set when the benchmark is here only for the profile's expectations and every knob it can see
  // was skipped on this host (a VM without cpufreq/cpuidle): it cannot show a change the plan does
  // not make, so it is not run and its expectations are reported as not checkable. Says why.
  std::string cannot_see;
};

// What `auto` maps each knob to, for --help and docs: "thp: mem_latency, page_fault", ...
std::vector<std::string> auto_mapping_lines();

// `names`: "auto" or a comma-separated list of benchmark names ("none": only the profile's).
// `overrides` (--bench-option NAME.KEY=VALUE) are laid over every choice of that benchmark.
// Throws InputError for an unknown benchmark or option.
std::vector<BenchChoice> choose_benchmarks(const Plan& plan, const json& verify, const std::string& names,
                                           const std::map<std::string, BenchOptions>& overrides);

}  // namespace tunectl
