// pstate:<file> -> /sys/devices/system/cpu/intel_pstate/<file> for no_turbo, min_perf_pct and
// max_perf_pct. These exist only while intel_pstate is the scaling driver (status active or
// passive); with status "off" the driver is unregistered and the files answer EAGAIN.
#include <cerrno>

#include "core/errors.h"
#include "tuner/knobs/cpu_power_section.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/knob_util.h"

namespace tunectl {
namespace {
using namespace knob_util;

const std::string kPstateDir = "/sys/devices/system/cpu/intel_pstate/";

class PstateKnob : public Knob {
 public:
  PstateKnob(const std::string& address, const std::string& file)
      : Knob(address), file_(file), path_(kPstateDir + file) {}

  std::string kind() const override { return "pstate"; }
  ReadResult read_raw(const Host& host) const override { return host.read(path_); }

  std::string normalise(const std::string& value) const override {
    auto v = parse_int(trim(value));
    return v ? std::to_string(*v) : fold_ws(value);
  }

  std::optional<std::string> validate(const std::string& desired) const override {
    return file_ == "no_turbo" ? check_int(desired, 0, 1) : check_int(desired, 0, 100);
  }

  // The kernel clamps both limits to at least min_perf_pct_min(): the lowest P-state as a
  // percentage of the highest (cpuinfo_min_freq * 100 / cpuinfo_max_freq, rounded down). A value
  // below it would be stored as that floor and never read back as written.
  std::optional<std::string> validate_for(const Host& host, const std::string& desired) const override {
    if (auto why = validate(desired)) return why;
    if (file_ == "no_turbo") return std::nullopt;
    const int64_t lo = khz(host, "cpuinfo_min_freq"), hi = khz(host, "cpuinfo_max_freq");
    if (lo <= 0 || hi <= 0) return std::nullopt;
    const int64_t floor_pct = lo * 100 / hi;
    if (auto why = check_int(desired, floor_pct, 100))
      return *why + " (the kernel raises " + file_ + " to at least " + std::to_string(floor_pct) +
             ": the lowest P-state, " + std::to_string(lo) + " of " + std::to_string(hi) + " kHz)";
    return std::nullopt;
  }

  WriteOutcome write(const Host& host, const std::string& desired) const override {
    return write_file(host, address(), path_, normalise(desired) + "\n");
  }

  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    return write_file(host, address(), path_, raw);
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    if (!host.is_dir(kPstateDir)) {
      const std::string driver =
          host.read_trimmed("/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver").value_or("none");
      return "intel_pstate is not in use (no " + kPstateDir.substr(0, kPstateDir.size() - 1) +
             "; cpufreq driver: " + driver + ")";
    }
    const std::string status = host.read_trimmed(kPstateDir + "status").value_or("?");
    if (status != "active" && status != "passive")
      return "intel_pstate status is '" + status +
             "': the driver is not registered and its attributes answer EAGAIN (needs active or passive)";
    if (!host.exists(path_) && file_ != "no_turbo")
      return path_ + " does not exist (intel_pstate=per_cpu_perf_limits: use cpufreq:<cpus>:min_freq/max_freq)";
    return file_not_settable(host, path_);
  }

 private:
  // cpu0's cpuinfo_{min,max}_freq in kHz, or -1.
  static int64_t khz(const Host& host, const std::string& file) {
    auto t = host.read_trimmed("/sys/devices/system/cpu/cpu0/cpufreq/" + file);
    return t ? parse_int(*t).value_or(-1) : -1;
  }

  std::string file_, path_;
};

std::unique_ptr<Knob> make_pstate(const std::string& address) {
  const std::string file = address.substr(7);  // after "pstate:"
  if (file.empty()) return nullptr;
  if (file != "no_turbo" && file != "min_perf_pct" && file != "max_perf_pct")
    throw InputError("bad knob address '" + address + "': '" + file +
                     "' is not an intel_pstate setting (allowed: no_turbo, min_perf_pct, max_perf_pct)");
  return std::make_unique<PstateKnob>(address, file);
}

}  // namespace

KnobKind knob_kind_pstate() {
  return KnobKind{"pstate", "pstate:{no_turbo,min_perf_pct,max_perf_pct}, e.g. pstate:no_turbo", make_pstate,
                  ApplyPhase::kCpuPower, "/sys/devices/system/cpu", pstate_section()};
}
}  // namespace tunectl
