// The profile sections of the CPU power knobs: "cpu_power" (per CPU set: cpufreq governor, EPP,
// frequency limits, the cpuidle latency ceiling, energy_perf_bias) and "pstate" (intel_pstate's
// global switches). Owned by the cpufreq and pstate kinds (knob_cpufreq.cpp, knob_pstate.cpp).
//
//   "cpu_power": {"<cpus>": {"governor" | "epp" | "min_freq" | "max_freq" | "max_latency_us" | "epb": SETTING}}
//   "pstate":    {"no_turbo" | "min_perf_pct" | "max_perf_pct": SETTING}
//
// <cpus> is all | housekeeping | isolated | application (the isolated CPUs, or all CPUs when none
// are isolated) | node<N> | a cpulist; the planner resolves it to the host's online CPUs, so knob
// addresses always carry a concrete cpulist (cpufreq:0-3:governor).
#pragma once
#include <memory>

#include "tuner/knobs/section.h"

namespace tunectl {

std::shared_ptr<ProfileSection> cpu_power_section();
std::shared_ptr<ProfileSection> pstate_section();

}  // namespace tunectl
