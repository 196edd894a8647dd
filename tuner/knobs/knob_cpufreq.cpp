// cpufreq:<cpulist>:<setting> -> /sys/devices/system/cpu/cpuN/cpufreq/<file> for every CPU N in
// the list (cpuN/cpufreq is the kernel's link to its policy directory):
//   governor -> scaling_governor   epp -> energy_performance_preference
//   min_freq -> scaling_min_freq   max_freq -> scaling_max_freq (kHz)
// The raw value is the per-CPU composite (per_cpu_files.h); it normalises to the common value,
// or to "mixed: ..." when the CPUs differ.
#include <algorithm>
#include <cerrno>

#include "core/errors.h"
#include "tuner/knobs/cpu_power_section.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/knob_util.h"
#include "tuner/knobs/per_cpu_files.h"

namespace tunectl {
namespace {
using namespace knob_util;
using per_cpu::kCpuDir;

enum class Setting { kGovernor, kEpp, kMinFreq, kMaxFreq };

struct SettingSpec {
  const char* name;
  Setting setting;
  const char* file;
};
const SettingSpec kSettings[] = {
    {"governor", Setting::kGovernor, "scaling_governor"},
    {"epp", Setting::kEpp, "energy_performance_preference"},
    {"min_freq", Setting::kMinFreq, "scaling_min_freq"},
    {"max_freq", Setting::kMaxFreq, "scaling_max_freq"},
};

// The kernel's generic governors plus the setpolicy drivers' own two (same names).
const std::vector<std::string> kGovernors = {"performance", "powersave", "ondemand",
                                             "conservative", "userspace", "schedutil"};
// energy_perf_strings without "default": writing it selects the firmware's value, which then
// reads back under its own name, so it can never be verified. Raw 0..255 values (intel_pstate)
// are refused for the same reason: one that equals a preference's value reads back as its name.
const std::vector<std::string> kEppWords = {"performance", "balance_performance", "balance_power", "power"};
constexpr int64_t kMaxKhz = 100000000;  // 100 GHz: a sanity bound, validate_for uses the host's own

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class CpufreqKnob : public Knob {
 public:
  CpufreqKnob(const std::string& address, CpuSet cpus, const SettingSpec& spec)
      : Knob(address), cpus_(std::move(cpus)), spec_(spec) {}

  std::string kind() const override { return "cpufreq"; }

  ReadResult read_raw(const Host& host) const override { return per_cpu::read_composite(host, rels()); }

  std::string normalise(const std::string& value) const override {
    const std::string t = fold_ws(value);
    if (spec_.setting == Setting::kGovernor || spec_.setting == Setting::kEpp) return t;
    auto v = parse_int(t);
    return v ? std::to_string(*v) : t;
  }

  std::string normalise_raw(const std::string& raw) const override {
    return per_cpu::agree_normalised(raw, [this](const std::string& v) { return normalise(v); });
  }

  std::optional<std::string> validate(const std::string& desired) const override {
    const std::string d = fold_ws(desired);
    switch (spec_.setting) {
      case Setting::kGovernor:
        if (contains(kGovernors, d)) return std::nullopt;
        return "must be one of " + join(kGovernors) + ", got '" + d + "'";
      case Setting::kEpp:
        if (contains(kEppWords, d)) return std::nullopt;
        if (d == "default" || parse_int(d))
          return "'" + d + "' cannot be verified (it reads back under the name of the preference it selects): name " +
                 "one of " + join(kEppWords);
        return "must be one of " + join(kEppWords) + ", got '" + d + "'";
      case Setting::kMinFreq:
      case Setting::kMaxFreq: return check_int(d, 1, kMaxKhz);
    }
    return std::nullopt;
  }

  std::optional<std::string> validate_for(const Host& host, const std::string& desired) const override {
    if (auto why = validate(desired)) return why;
    if (auto why = per_cpu::check_online(host, cpus_)) return why;
    const std::string d = fold_ws(desired);
    for (int cpu : cpus_) {
      const std::string dir = policy_dir(cpu);
      if (!host.is_dir(dir)) return no_policy(cpu);
      const std::string name = "cpu" + std::to_string(cpu);
      switch (spec_.setting) {
        case Setting::kGovernor: {
          auto offered = words(host, dir + "scaling_available_governors");
          if (!contains(offered, d))
            return "governor '" + d + "' is not offered for " + name + " (scaling_available_governors: " +
                   join(offered) + ")";
          break;
        }
        case Setting::kEpp: {
          const std::string file = dir + "energy_performance_available_preferences";
          if (!host.exists(file)) return no_epp(host, cpu);
          if (auto offered = words(host, file); !contains(offered, d)) {
            return "EPP '" + d + "' is not offered for " + name + " (energy_performance_available_preferences: " +
                   join(offered) + ")";
          }
          break;
        }
        case Setting::kMinFreq:
        case Setting::kMaxFreq: {
          auto lo = read_int(host, dir + "cpuinfo_min_freq"), hi = read_int(host, dir + "cpuinfo_max_freq");
          if (!lo || !hi) return "cannot read the frequency range of " + name + " (" + dir + "cpuinfo_{min,max}_freq)";
          if (auto why = check_int(d, *lo, *hi))
            return "must be within " + name + "'s cpuinfo_min_freq..cpuinfo_max_freq (" + std::to_string(*lo) + ".." +
                   std::to_string(*hi) + " kHz), got " + d;
          break;
        }
      }
    }
    return std::nullopt;
  }

  WriteOutcome write(const Host& host, const std::string& desired) const override {
    const std::string value = normalise(desired) + "\n";
    for (int cpu : cpus_) {
      const std::string path = policy_dir(cpu) + spec_.file;
      WriteOutcome w = write_file(host, address(), path, value);
      if (w.err == EBUSY && spec_.setting == Setting::kEpp)
        w.message = address() + ": intel_pstate refuses EPP changes while " + path.substr(0, path.rfind('/')) +
                    " runs the performance governor (EBUSY)";
      if (!w.ok()) return w;
    }
    return {};
  }

  // Each CPU's file gets its own bytes back; the kernel accepts what it printed.
  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    const auto mine = rels();
    return per_cpu::restore_composite(host, address(), raw, [&](const std::string& rel) {
      return contains(mine, rel) ? per_cpu::Line::kWrite : per_cpu::Line::kForeign;
    });
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    for (int cpu : cpus_) {
      if (!host.is_dir(policy_dir(cpu))) return no_policy(cpu);
      const std::string path = policy_dir(cpu) + spec_.file;
      if (spec_.setting == Setting::kEpp && !host.exists(path)) return no_epp(host, cpu);
      if (auto why = file_not_settable(host, path)) return why;
    }
    return std::nullopt;
  }

 private:
  static std::string policy_dir(int cpu) { return kCpuDir + ("cpu" + std::to_string(cpu)) + "/cpufreq/"; }

  std::vector<std::string> rels() const {
    std::vector<std::string> out;
    for (int cpu : cpus_) out.push_back("cpu" + std::to_string(cpu) + "/cpufreq/" + spec_.file);
    return out;
  }

  static std::string no_policy(int cpu) {
    const std::string dir = policy_dir(cpu);
    return "no cpufreq driver for CPU " + std::to_string(cpu) + " (no " + dir.substr(0, dir.size() - 1) + ")";
  }

  static std::string no_epp(const Host& host, int cpu) {
    const std::string driver = host.read_trimmed(policy_dir(cpu) + "scaling_driver").value_or("unknown");
    return "no energy_performance_preference for CPU " + std::to_string(cpu) + " (scaling driver " + driver +
           " has no EPP; intel_pstate and amd-pstate offer it in active mode)";
  }

  static std::vector<std::string> words(const Host& host, const std::string& path) {
    return split_ws(host.read_trimmed(path).value_or(""));
  }

  static std::optional<int64_t> read_int(const Host& host, const std::string& path) {
    auto t = host.read_trimmed(path);
    return t ? parse_int(*t) : std::nullopt;
  }

  CpuSet cpus_;
  SettingSpec spec_;
};

std::unique_ptr<Knob> make_cpufreq(const std::string& address) {
  const auto parts = split(address, ':');
  if (parts.size() != 3) return nullptr;
  const CpuSet cpus = per_cpu::parse_address_cpus(address, parts[1]);
  for (const auto& s : kSettings)
    if (parts[2] == s.name) return std::make_unique<CpufreqKnob>(address, cpus, s);
  throw InputError("bad knob address '" + address + "': '" + parts[2] +
                   "' is not a cpufreq setting (allowed: governor, epp, min_freq, max_freq)");
}

}  // namespace

KnobKind knob_kind_cpufreq() {
  return KnobKind{"cpufreq", "cpufreq:<cpulist>:{governor,epp,min_freq,max_freq}, e.g. cpufreq:0-3,8:governor",
                  make_cpufreq, ApplyPhase::kCpuPower, "/sys/devices/system/cpu", cpu_power_section()};
}
}  // namespace tunectl
