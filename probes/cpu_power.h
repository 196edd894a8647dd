// CPU power management: cpufreq (scaling driver, per-policy governor, limits and EPP; the
// intel_pstate and boost globals), cpuidle (driver, governor, every idle state of every CPU) and
// the energy/performance bias per CPU. A subsystem the host does not have is null with the reason
// beside it ("cpufreq_unavailable"), never guessed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"

namespace tunectl {

// One cpufreq policy (/sys/devices/system/cpu/cpufreq/policyN); frequencies in kHz.
struct CpufreqPolicy {
  std::string policy;        // "policy0"
  std::string cpus;          // affected_cpus (online CPUs it drives), canonical cpulist
  std::string related_cpus;  // online and offline
  std::optional<std::string> driver, governor;
  std::vector<std::string> available_governors;
  std::optional<int64_t> cpuinfo_min_khz, cpuinfo_max_khz, base_khz, min_khz, max_khz, cur_khz;
  std::vector<int64_t> available_khz;  // scaling_available_frequencies (table drivers only)
  std::optional<std::string> epp;      // energy_performance_preference
  std::vector<std::string> epp_choices;
};

struct Cpufreq {
  std::string driver;  // the first policy's scaling_driver: intel_pstate, amd-pstate, acpi-cpufreq, ...
  std::vector<CpufreqPolicy> policies;
  std::optional<bool> boost;  // cpufreq/boost (acpi-cpufreq, amd-pstate); null when absent
};

// /sys/devices/system/cpu/intel_pstate. Only status is read when it is "off": the other files
// answer EAGAIN while the driver is not registered.
struct IntelPstate {
  std::optional<std::string> status;  // active, passive, off
  std::optional<bool> no_turbo;
  std::optional<int64_t> min_perf_pct, max_perf_pct, num_pstates, turbo_pct;
  std::optional<bool> hwp_dynamic_boost;
};

struct Cpuidle {
  std::string driver;                     // current_driver: intel_idle, acpi_idle, haltpoll, none
  std::optional<std::string> governor;    // current_governor_ro
  std::vector<std::string> available_governors;  // 5.7+ (earlier: cpuidle_sysfs_switch only)
};

// cpuN/cpuidle/stateK; latencies and time in microseconds.
struct CpuidleState {
  int state = 0;  // K
  std::string name, desc;
  std::optional<int64_t> latency_us, residency_us;
  std::optional<bool> disabled;
  std::optional<std::string> default_status;  // 5.6+: "enabled" / "disabled"
  std::optional<int64_t> usage, time_us, above, below;
};

struct CpuPowerCpu {
  int cpu = 0;
  bool online = true;
  std::optional<std::string> policy;  // the cpufreq policy holding this CPU
  std::optional<int> epb;              // power/energy_perf_bias, 0 (performance) .. 15 (power)
  std::vector<CpuidleState> idle_states;
};

struct CpuPower {
  std::optional<Cpufreq> cpufreq;
  std::optional<std::string> cpufreq_unavailable;  // why cpufreq is null
  std::optional<IntelPstate> intel_pstate;         // null when the directory is absent
  std::optional<std::string> amd_pstate_status;    // amd_pstate/status when present
  std::optional<Cpuidle> cpuidle;
  std::optional<std::string> cpuidle_unavailable;  // why cpuidle is null or has no states
  std::vector<CpuPowerCpu> cpus;
};

CpuPower probe_cpu_power(const Host& host, ProbeErrors& errors);

// JSON both ways; a missing key keeps the default (older snapshots still load).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CpufreqPolicy, policy, cpus, related_cpus, driver, governor,
                                                available_governors, cpuinfo_min_khz, cpuinfo_max_khz, base_khz,
                                                min_khz, max_khz, cur_khz, available_khz, epp, epp_choices)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Cpufreq, driver, policies, boost)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(IntelPstate, status, no_turbo, min_perf_pct, max_perf_pct, num_pstates,
                                                turbo_pct, hwp_dynamic_boost)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Cpuidle, driver, governor, available_governors)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CpuidleState, state, name, desc, latency_us, residency_us, disabled,
                                                default_status, usage, time_us, above, below)
// Written out rather than by the macro: GCC 12 at -O2 takes the macro's copy of a disengaged
// std::optional default for an uninitialised read here (-Wmaybe-uninitialized). Same contract.
void to_json(json& j, const CpuPowerCpu& c);
void from_json(const json& j, CpuPowerCpu& c);
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CpuPower, cpufreq, cpufreq_unavailable, intel_pstate,
                                                amd_pstate_status, cpuidle, cpuidle_unavailable, cpus)

}  // namespace tunectl
