// The cpu_power probe on every fixture host tree (values asserted exactly), on the VM without
// cpufreq/cpuidle drivers (unavailable with the reason), and on small trees for the edge cases:
// trailing spaces in word lists, intel_pstate "off", no cpuidle support, JSON both ways.
#include <gtest/gtest.h>

#include "core/host.h"
#include "probes/cpu_power.h"
#include "tests/unit/test_helpers.h"

namespace tunectl {
namespace {
using test::TempTree;
using Words = std::vector<std::string>;

const Words kEppChoices = {"default", "performance", "balance_performance", "balance_power", "power"};

CpuPower probe(const std::string& root) {
  ProbeErrors errors;
  CpuPower p = probe_cpu_power(Host(root), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  return p;
}

struct StateWant {
  std::string name, desc;
  int64_t latency, residency;
};

void expect_states(const CpuPowerCpu& c, const std::vector<StateWant>& want, int disabled_state = -1) {
  ASSERT_EQ(c.idle_states.size(), want.size()) << "cpu" << c.cpu;
  for (size_t k = 0; k < want.size(); ++k) {
    const CpuidleState& s = c.idle_states[k];
    SCOPED_TRACE("cpu" + std::to_string(c.cpu) + " state" + std::to_string(k));
    EXPECT_EQ(s.state, static_cast<int>(k));
    EXPECT_EQ(s.name, want[k].name);
    EXPECT_EQ(s.desc, want[k].desc);
    EXPECT_EQ(s.latency_us, want[k].latency);
    EXPECT_EQ(s.residency_us, want[k].residency);
    EXPECT_EQ(s.disabled, static_cast<int>(k) == disabled_state);
    ASSERT_TRUE(s.usage && s.time_us);
    EXPECT_GE(*s.usage, 0);
  }
}

const std::vector<StateWant> kSkx = {{"POLL", "CPUIDLE CORE POLL IDLE", 0, 0},
                                     {"C1", "MWAIT 0x00", 2, 2},
                                     {"C1E", "MWAIT 0x01", 10, 20},
                                     {"C6", "MWAIT 0x20", 133, 600}};

TEST(CpuPower, MetalIntelPstateActiveWithPerformanceOnIsolatedCpus) {
  const CpuPower p = probe(test::fixture_host("metal-2s-mlx5-k8s"));
  ASSERT_TRUE(p.cpufreq);
  EXPECT_FALSE(p.cpufreq_unavailable);
  EXPECT_EQ(p.cpufreq->driver, "intel_pstate");
  EXPECT_FALSE(p.cpufreq->boost);  // intel_pstate has no cpufreq/boost
  ASSERT_EQ(p.cpufreq->policies.size(), 64u);
  const CpufreqPolicy& p0 = p.cpufreq->policies[0];
  EXPECT_EQ(p0.policy, "policy0");
  EXPECT_EQ(p0.cpus, "0");
  EXPECT_EQ(p0.related_cpus, "0");
  EXPECT_EQ(p0.driver, "intel_pstate");
  EXPECT_EQ(p0.governor, "powersave");
  EXPECT_EQ(p0.available_governors, (Words{"performance", "powersave"}));
  EXPECT_EQ(p0.cpuinfo_min_khz, 1000000);
  EXPECT_EQ(p0.cpuinfo_max_khz, 3900000);
  EXPECT_EQ(p0.base_khz, 2900000);
  EXPECT_EQ(p0.min_khz, 1000000);
  EXPECT_EQ(p0.max_khz, 3900000);
  ASSERT_TRUE(p0.cur_khz);
  EXPECT_GE(*p0.cur_khz, 1000000);
  EXPECT_LE(*p0.cur_khz, 3900000);
  EXPECT_TRUE(p0.available_khz.empty());
  EXPECT_EQ(p0.epp, "balance_performance");
  EXPECT_EQ(p0.epp_choices, kEppChoices);
  // Policies are listed in numeric order (policy10 after policy9) and the isolated CPUs differ.
  for (size_t i = 0; i < 64; ++i) {
    const CpufreqPolicy& pol = p.cpufreq->policies[i];
    const bool isolated = (i >= 8 && i <= 15) || (i >= 40 && i <= 47);
    EXPECT_EQ(pol.policy, "policy" + std::to_string(i));
    EXPECT_EQ(pol.governor, isolated ? "performance" : "powersave") << i;
    EXPECT_EQ(pol.epp, isolated ? "performance" : "balance_performance") << i;
  }

  ASSERT_TRUE(p.intel_pstate);
  EXPECT_EQ(p.intel_pstate->status, "active");
  EXPECT_EQ(p.intel_pstate->no_turbo, false);
  EXPECT_EQ(p.intel_pstate->min_perf_pct, 25);
  EXPECT_EQ(p.intel_pstate->max_perf_pct, 100);
  EXPECT_EQ(p.intel_pstate->num_pstates, 30);
  EXPECT_EQ(p.intel_pstate->turbo_pct, 34);
  EXPECT_EQ(p.intel_pstate->hwp_dynamic_boost, false);
  EXPECT_FALSE(p.amd_pstate_status);

  ASSERT_TRUE(p.cpuidle);
  EXPECT_FALSE(p.cpuidle_unavailable);
  EXPECT_EQ(p.cpuidle->driver, "intel_idle");
  EXPECT_EQ(p.cpuidle->governor, "menu");
  EXPECT_EQ(p.cpuidle->available_governors, (Words{"ladder", "menu", "teo", "haltpoll"}));

  ASSERT_EQ(p.cpus.size(), 64u);
  for (const auto& c : p.cpus) {
    const bool isolated = (c.cpu >= 8 && c.cpu <= 15) || (c.cpu >= 40 && c.cpu <= 47);
    EXPECT_TRUE(c.online);
    EXPECT_EQ(c.policy, "policy" + std::to_string(c.cpu));
    EXPECT_EQ(c.epb, isolated ? 0 : 6) << c.cpu;
    // The operator disabled C6 (state3) on CPUs 8 and 40 only.
    expect_states(c, kSkx, c.cpu == 8 || c.cpu == 40 ? 3 : -1);
    EXPECT_EQ(c.idle_states[3].default_status, "enabled");
    EXPECT_TRUE(c.idle_states[3].above && c.idle_states[3].below);
  }
}

TEST(CpuPower, Rhel8PerformancePolicyWithoutNewerFiles) {
  const CpuPower p = probe(test::fixture_host("intel-i40e-cgv1"));
  ASSERT_TRUE(p.cpufreq);
  EXPECT_EQ(p.cpufreq->driver, "intel_pstate");
  ASSERT_EQ(p.cpufreq->policies.size(), 48u);
  for (const auto& pol : p.cpufreq->policies) {
    EXPECT_EQ(pol.governor, "performance");
    EXPECT_EQ(pol.epp, "performance");
    EXPECT_EQ(pol.epp_choices, kEppChoices);
    EXPECT_EQ(pol.cpuinfo_min_khz, 1000000);
    EXPECT_EQ(pol.cpuinfo_max_khz, 3500000);
    EXPECT_FALSE(pol.base_khz);  // base_frequency is 4.20+
  }
  ASSERT_TRUE(p.intel_pstate);
  EXPECT_EQ(p.intel_pstate->status, "active");
  EXPECT_EQ(p.intel_pstate->min_perf_pct, 28);
  EXPECT_EQ(p.intel_pstate->num_pstates, 26);
  EXPECT_EQ(p.intel_pstate->turbo_pct, 43);
  EXPECT_FALSE(p.intel_pstate->hwp_dynamic_boost);  // 5.7+

  ASSERT_TRUE(p.cpuidle);
  EXPECT_EQ(p.cpuidle->driver, "intel_idle");
  EXPECT_EQ(p.cpuidle->governor, "menu");
  EXPECT_TRUE(p.cpuidle->available_governors.empty());  // 4.18: only with cpuidle_sysfs_switch
  ASSERT_EQ(p.cpus.size(), 48u);
  for (const auto& c : p.cpus) {
    EXPECT_EQ(c.epb, 0);
    expect_states(c, kSkx);
    EXPECT_FALSE(c.idle_states[1].above);           // 5.1+
    EXPECT_FALSE(c.idle_states[1].default_status);  // 5.6+
  }
}

TEST(CpuPower, CloudAcpiCpufreqWithBoostAndAcpiIdle) {
  const CpuPower p = probe(test::fixture_host("cloud-ena"));
  ASSERT_TRUE(p.cpufreq);
  EXPECT_EQ(p.cpufreq->driver, "acpi-cpufreq");
  EXPECT_EQ(p.cpufreq->boost, true);
  ASSERT_EQ(p.cpufreq->policies.size(), 16u);
  const CpufreqPolicy& pol = p.cpufreq->policies[5];
  EXPECT_EQ(pol.cpus, "5");
  EXPECT_EQ(pol.governor, "performance");
  EXPECT_EQ(pol.available_governors,
            (Words{"conservative", "ondemand", "userspace", "powersave", "performance", "schedutil"}));
  EXPECT_EQ(pol.cpuinfo_min_khz, 1200000);
  EXPECT_EQ(pol.cpuinfo_max_khz, 3001000);
  EXPECT_EQ(pol.max_khz, 3001000);
  ASSERT_EQ(pol.available_khz.size(), 20u);
  EXPECT_EQ(pol.available_khz.front(), 3001000);
  EXPECT_EQ(pol.available_khz[1], 3000000);
  EXPECT_EQ(pol.available_khz.back(), 1200000);
  EXPECT_FALSE(pol.epp);
  EXPECT_TRUE(pol.epp_choices.empty());
  EXPECT_FALSE(p.intel_pstate);

  ASSERT_TRUE(p.cpuidle);
  EXPECT_EQ(p.cpuidle->driver, "acpi_idle");
  ASSERT_EQ(p.cpus.size(), 16u);
  for (const auto& c : p.cpus) {
    EXPECT_FALSE(c.epb);  // no EPB in the VM
    expect_states(c, {{"POLL", "CPUIDLE CORE POLL IDLE", 0, 0},
                      {"C1", "ACPI FFH MWAIT 0x0", 1, 2},
                      {"C2", "ACPI IOPORT 0x415", 100, 200}});
  }
}

TEST(CpuPower, VmWithoutDriversIsUnavailableWithTheReason) {
  const CpuPower p = probe(test::fixture_host("vm"));
  EXPECT_FALSE(p.cpufreq);
  EXPECT_EQ(p.cpufreq_unavailable, "no cpufreq driver (no /sys/devices/system/cpu/cpu0/cpufreq)");
  EXPECT_FALSE(p.intel_pstate);
  ASSERT_TRUE(p.cpuidle);
  EXPECT_EQ(p.cpuidle->driver, "none");
  EXPECT_EQ(p.cpuidle->governor, "menu");
  EXPECT_EQ(p.cpuidle->available_governors, (Words{"ladder", "menu", "haltpoll"}));
  EXPECT_EQ(p.cpuidle_unavailable, "no cpuidle driver (current_driver is none): no idle states");
  ASSERT_EQ(p.cpus.size(), 2u);
  for (const auto& c : p.cpus) {
    EXPECT_TRUE(c.online);
    EXPECT_FALSE(c.policy);
    EXPECT_FALSE(c.epb);
    EXPECT_TRUE(c.idle_states.empty());
  }
  const json j = p;
  EXPECT_TRUE(j["cpufreq"].is_null());
  EXPECT_EQ(j["cpufreq_unavailable"], "no cpufreq driver (no /sys/devices/system/cpu/cpu0/cpufreq)");
  EXPECT_EQ(j["cpuidle"]["driver"], "none");
}

TEST(CpuPower, TrailingSpaceWordListsAndOddValues) {
  TempTree t;
  const std::string c = "sys/devices/system/cpu/";
  t.write(c + "online", "0\n");
  t.write(c + "cpu0/topology/core_id", "0\n");
  t.symlink("../cpufreq/policy0", c + "cpu0/cpufreq");
  const std::string pol = c + "cpufreq/policy0/";
  t.write(pol + "affected_cpus", "0\n");
  t.write(pol + "related_cpus", "0\n");
  t.write(pol + "scaling_driver", "amd-pstate-epp\n");
  t.write(pol + "scaling_governor", "powersave\n");
  t.write(pol + "scaling_available_governors", "performance powersave\n");
  t.write(pol + "cpuinfo_min_freq", "400000\n");
  t.write(pol + "cpuinfo_max_freq", "5881000\n");
  t.write(pol + "scaling_min_freq", "400000\n");
  t.write(pol + "scaling_max_freq", "5881000\n");
  t.write(pol + "energy_performance_preference", "balance_performance\n");
  // Byte for byte as the kernel prints it: "%s " per choice, then a newline.
  t.write(pol + "energy_performance_available_preferences",
          "default performance balance_performance balance_power power \n");
  t.write(pol + "scaling_available_frequencies", "3001000 x 1200000 \n");
  t.write(c + "cpufreq/boost", "2\n");
  t.write(c + "amd_pstate/status", "active\n");
  t.write(c + "intel_pstate/status", "off\n");
  t.write(c + "intel_pstate/no_turbo", "garbage");  // answers EAGAIN on a real kernel: never read
  t.write(c + "cpu0/power/energy_perf_bias", "16\n");
  ProbeErrors errors;
  const CpuPower p = probe_cpu_power(Host(t.path()), errors);
  ASSERT_TRUE(p.cpufreq);
  EXPECT_EQ(p.cpufreq->driver, "amd-pstate-epp");
  EXPECT_EQ(p.cpufreq->policies[0].epp_choices, kEppChoices);
  EXPECT_TRUE(p.cpufreq->policies[0].available_khz.empty());
  EXPECT_FALSE(p.cpufreq->boost);
  EXPECT_EQ(p.amd_pstate_status, "active");
  ASSERT_TRUE(p.intel_pstate);
  EXPECT_EQ(p.intel_pstate->status, "off");
  EXPECT_FALSE(p.intel_pstate->no_turbo);
  EXPECT_EQ(p.cpus[0].policy, "policy0");
  EXPECT_FALSE(p.cpuidle);
  EXPECT_EQ(p.cpuidle_unavailable, "no cpuidle support (no /sys/devices/system/cpu/cpuidle)");
  EXPECT_EQ(errors, (ProbeErrors{"/sys/devices/system/cpu/cpufreq/policy0/scaling_available_frequencies: 'x' is "
                                 "not a number",
                                 "/sys/devices/system/cpu/cpufreq/boost: expected 0 or 1, got 2",
                                 "/sys/devices/system/cpu/cpu0/power/energy_perf_bias: expected 0..15, got 16"}));
  EXPECT_FALSE(p.cpus[0].epb);
}

TEST(CpuPower, JsonRoundTripsOnEveryTree) {
  for (const char* name : {"metal-2s-mlx5-k8s", "intel-i40e-cgv1", "cloud-ena", "vm"}) {
    SCOPED_TRACE(name);
    const json j = probe(test::fixture_host(name));
    EXPECT_EQ(json(j.get<CpuPower>()), j);
    for (const char* key : {"cpufreq", "cpufreq_unavailable", "intel_pstate", "amd_pstate_status", "cpuidle",
                            "cpuidle_unavailable", "cpus"})
      EXPECT_TRUE(j.contains(key)) << key;
  }
  const json cpu = json(probe(test::fixture_host("metal-2s-mlx5-k8s")))["cpus"][8];
  EXPECT_EQ(cpu["policy"], "policy8");
  EXPECT_EQ(cpu["epb"], 0);
  EXPECT_EQ(cpu["idle_states"][3]["name"], "C6");
  EXPECT_EQ(cpu["idle_states"][3]["disabled"], true);
  EXPECT_EQ(cpu["idle_states"][3]["latency_us"], 133);
}

TEST(CpuPower, NoCpusIsAnError) {
  TempTree t;
  t.write("sys/devices/system/cpu/online", "0\n");
  ProbeErrors errors;
  EXPECT_THROW(probe_cpu_power(Host(t.path()), errors), std::exception);
}

}  // namespace
}  // namespace tunectl
