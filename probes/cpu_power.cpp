#include "probes/cpu_power.h"

#include <algorithm>

#include "core/errors.h"
#include "core/parse.h"
#include "core/read_field.h"

namespace tunectl {
namespace {

const std::string kCpuDir = "/sys/devices/system/cpu";

// "policy12" -> 12 for entries named <prefix><digits>; nullopt for anything else.
std::optional<int> numbered(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  const std::string digits = name.substr(prefix.size());
  if (!std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  auto n = parse_int(digits);
  if (!n || *n >= kMaxCpus) return std::nullopt;
  return static_cast<int>(*n);
}

// Entries <prefix>N of a directory, in numeric order.
std::vector<int> numbered_entries(const Host& host, const std::string& dir, const std::string& prefix) {
  std::vector<int> out;
  for (const auto& name : host.list(dir))
    if (auto n = numbered(name, prefix)) out.push_back(*n);
  std::sort(out.begin(), out.end());
  return out;
}

// Space-separated word lists; the kernel prints "%s " per word, so a trailing space is normal.
std::vector<std::string> read_words(const Host& host, const std::string& path, ProbeErrors& errors) {
  auto text = read_field(host, path, errors, Presence::kOptional);
  return text ? split_ws(*text) : std::vector<std::string>{};
}

std::optional<bool> read_bool(const Host& host, const std::string& path, ProbeErrors& errors,
                              Presence presence = Presence::kOptional) {
  auto v = read_int_field(host, path, errors, presence);
  if (!v) return std::nullopt;
  if (*v != 0 && *v != 1) {
    errors.push_back(path + ": expected 0 or 1, got " + std::to_string(*v));
    return std::nullopt;
  }
  return *v == 1;
}

std::string read_cpulist(const Host& host, const std::string& path, ProbeErrors& errors) {
  auto cpus = read_cpulist_field(host, path, errors);
  return cpus ? format_cpulist(*cpus) : "";
}

CpufreqPolicy probe_policy(const Host& host, int n, ProbeErrors& errors) {
  CpufreqPolicy p;
  p.policy = "policy" + std::to_string(n);
  const std::string dir = kCpuDir + "/cpufreq/" + p.policy + "/";
  const auto opt = Presence::kOptional;
  p.cpus = read_cpulist(host, dir + "affected_cpus", errors);
  p.related_cpus = read_cpulist(host, dir + "related_cpus", errors);
  p.driver = read_field(host, dir + "scaling_driver", errors);
  p.governor = read_field(host, dir + "scaling_governor", errors);
  p.available_governors = read_words(host, dir + "scaling_available_governors", errors);
  p.cpuinfo_min_khz = read_int_field(host, dir + "cpuinfo_min_freq", errors);
  p.cpuinfo_max_khz = read_int_field(host, dir + "cpuinfo_max_freq", errors);
  p.base_khz = read_int_field(host, dir + "base_frequency", errors, opt);
  p.min_khz = read_int_field(host, dir + "scaling_min_freq", errors);
  p.max_khz = read_int_field(host, dir + "scaling_max_freq", errors);
  p.cur_khz = read_int_field(host, dir + "scaling_cur_freq", errors, opt);
  for (const auto& w : read_words(host, dir + "scaling_available_frequencies", errors)) {
    auto v = parse_int(w);
    if (!v) {
      errors.push_back(dir + "scaling_available_frequencies: '" + w + "' is not a number");
      p.available_khz.clear();
      break;
    }
    p.available_khz.push_back(*v);
  }
  p.epp = read_field(host, dir + "energy_performance_preference", errors, opt);
  p.epp_choices = read_words(host, dir + "energy_performance_available_preferences", errors);
  return p;
}

void probe_cpufreq(const Host& host, CpuPower& out, int first_cpu, ProbeErrors& errors) {
  const auto policies = numbered_entries(host, kCpuDir + "/cpufreq", "policy");
  if (policies.empty()) {
    const std::string link = kCpuDir + "/cpu" + std::to_string(first_cpu) + "/cpufreq";
    out.cpufreq_unavailable = "no cpufreq driver (no " + link + ")";
    return;
  }
  Cpufreq f;
  for (int n : policies) f.policies.push_back(probe_policy(host, n, errors));
  f.driver = f.policies.front().driver.value_or("");
  f.boost = read_bool(host, kCpuDir + "/cpufreq/boost", errors);
  out.cpufreq = std::move(f);
}

void probe_pstate(const Host& host, CpuPower& out, ProbeErrors& errors) {
  const std::string dir = kCpuDir + "/intel_pstate/";
  if (host.is_dir(dir)) {
    IntelPstate p;
    p.status = read_field(host, dir + "status", errors, Presence::kOptional);
    if (p.status != "off") {
      const auto opt = Presence::kOptional;  // per_cpu_perf_limits, hybrid CPUs and old kernels omit some
      p.no_turbo = read_bool(host, dir + "no_turbo", errors);
      p.min_perf_pct = read_int_field(host, dir + "min_perf_pct", errors, opt);
      p.max_perf_pct = read_int_field(host, dir + "max_perf_pct", errors, opt);
      p.num_pstates = read_int_field(host, dir + "num_pstates", errors, opt);
      p.turbo_pct = read_int_field(host, dir + "turbo_pct", errors, opt);
      p.hwp_dynamic_boost = read_bool(host, dir + "hwp_dynamic_boost", errors);
    }
    out.intel_pstate = p;
  }
  out.amd_pstate_status = read_field(host, kCpuDir + "/amd_pstate/status", errors, Presence::kOptional);
}

void probe_cpuidle(const Host& host, CpuPower& out, ProbeErrors& errors) {
  const std::string dir = kCpuDir + "/cpuidle/";
  if (!host.is_dir(dir)) {
    out.cpuidle_unavailable = "no cpuidle support (no " + dir.substr(0, dir.size() - 1) + ")";
    return;
  }
  Cpuidle c;
  c.driver = read_field(host, dir + "current_driver", errors).value_or("");
  c.governor = read_field(host, dir + "current_governor_ro", errors, Presence::kOptional);
  c.available_governors = read_words(host, dir + "available_governors", errors);
  if (c.driver == "none") out.cpuidle_unavailable = "no cpuidle driver (current_driver is none): no idle states";
  out.cpuidle = std::move(c);
}

CpuidleState probe_state(const Host& host, const std::string& dir, int k, ProbeErrors& errors) {
  CpuidleState s;
  s.state = k;
  const auto opt = Presence::kOptional;
  s.name = read_field(host, dir + "name", errors).value_or("");
  s.desc = read_field(host, dir + "desc", errors).value_or("");
  s.latency_us = read_int_field(host, dir + "latency", errors);
  s.residency_us = read_int_field(host, dir + "residency", errors);
  s.disabled = read_bool(host, dir + "disable", errors, Presence::kRequired);
  s.default_status = read_field(host, dir + "default_status", errors, opt);
  s.usage = read_int_field(host, dir + "usage", errors);
  s.time_us = read_int_field(host, dir + "time", errors);
  s.above = read_int_field(host, dir + "above", errors, opt);
  s.below = read_int_field(host, dir + "below", errors, opt);
  return s;
}

}  // namespace

void to_json(json& j, const CpuPowerCpu& c) {
  j = json{{"cpu", c.cpu}, {"online", c.online}, {"policy", c.policy}, {"epb", c.epb}, {"idle_states", c.idle_states}};
}

void from_json(const json& j, CpuPowerCpu& c) {
  c = CpuPowerCpu{};
  if (j.contains("cpu")) j.at("cpu").get_to(c.cpu);
  if (j.contains("online")) j.at("online").get_to(c.online);
  if (j.contains("policy") && !j.at("policy").is_null()) c.policy = j.at("policy").get<std::string>();
  if (j.contains("epb") && !j.at("epb").is_null()) c.epb = j.at("epb").get<int>();
  if (j.contains("idle_states")) j.at("idle_states").get_to(c.idle_states);
}

CpuPower probe_cpu_power(const Host& host, ProbeErrors& errors) {
  const auto cpu_ids = numbered_entries(host, kCpuDir, "cpu");
  if (cpu_ids.empty()) throw Error(kCpuDir + ": no cpuN entries");
  std::optional<CpuSet> online;
  if (auto text = read_field(host, kCpuDir + "/online", errors)) {
    auto p = parse_cpulist(*text);
    if (p.ok()) online = *p.value;
    else errors.push_back(kCpuDir + "/online: " + p.error);
  }

  CpuPower out;
  probe_cpufreq(host, out, cpu_ids.front(), errors);
  probe_pstate(host, out, errors);
  probe_cpuidle(host, out, errors);

  for (int n : cpu_ids) {
    CpuPowerCpu c;
    c.cpu = n;
    c.online = !online || std::binary_search(online->begin(), online->end(), n);
    if (out.cpufreq) {
      for (const auto& p : out.cpufreq->policies) {
        const CpuSet related = parse_cpulist(p.related_cpus).value.value_or(CpuSet{});
        if (std::binary_search(related.begin(), related.end(), n)) c.policy = p.policy;
      }
    }
    const std::string dir = kCpuDir + "/cpu" + std::to_string(n);
    if (auto epb = read_int_field(host, dir + "/power/energy_perf_bias", errors, Presence::kOptional)) {
      if (*epb >= 0 && *epb <= 15) c.epb = static_cast<int>(*epb);
      else errors.push_back(dir + "/power/energy_perf_bias: expected 0..15, got " + std::to_string(*epb));
    }
    for (int k : numbered_entries(host, dir + "/cpuidle", "state"))
      c.idle_states.push_back(probe_state(host, dir + "/cpuidle/state" + std::to_string(k) + "/", k, errors));
    out.cpus.push_back(std::move(c));
  }
  return out;
}

}  // namespace tunectl
