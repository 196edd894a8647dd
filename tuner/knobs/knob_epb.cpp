// epb:<cpulist> -> /sys/devices/system/cpu/cpuN/power/energy_perf_bias for every CPU N in the
// list: the Intel energy/performance bias, 0 (performance) .. 15 (power). The kernel also takes
// its names (performance=0, balance-performance=4, normal=6, balance-power=8, power=15) and
// always shows the number; desired values may use either. The raw value is the per-CPU composite
// (per_cpu_files.h).
#include <algorithm>
#include <cerrno>

#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/knob_util.h"
#include "tuner/knobs/per_cpu_files.h"

namespace tunectl {
namespace {
using namespace knob_util;
using per_cpu::kCpuDir;

const std::pair<const char*, int> kNames[] = {
    {"performance", 0}, {"balance-performance", 4}, {"normal", 6}, {"balance-power", 8}, {"power", 15}};

class EpbKnob : public Knob {
 public:
  EpbKnob(const std::string& address, CpuSet cpus) : Knob(address), cpus_(std::move(cpus)) {}

  std::string kind() const override { return "epb"; }

  ReadResult read_raw(const Host& host) const override { return per_cpu::read_composite(host, rels()); }

  std::string normalise(const std::string& value) const override {
    const std::string t = fold_ws(value);
    for (const auto& [name, v] : kNames)
      if (t == name) return std::to_string(v);
    auto v = parse_int(t);
    return v ? std::to_string(*v) : t;
  }

  std::string normalise_raw(const std::string& raw) const override {
    return per_cpu::agree_normalised(raw, [this](const std::string& v) { return normalise(v); });
  }

  std::optional<std::string> validate(const std::string& desired) const override {
    const std::string d = fold_ws(desired);
    for (const auto& [name, v] : kNames)
      if (d == name) return std::nullopt;
    if (parse_int(d)) return check_int(d, 0, 15);
    return "must be 0..15 or one of performance, balance-performance, normal, balance-power, power, got '" + d + "'";
  }

  std::optional<std::string> validate_for(const Host& host, const std::string& desired) const override {
    if (auto why = validate(desired)) return why;
    return per_cpu::check_online(host, cpus_);
  }

  WriteOutcome write(const Host& host, const std::string& desired) const override {
    const std::string value = normalise(desired) + "\n";
    for (int cpu : cpus_)
      if (WriteOutcome w = write_file(host, address(), path(cpu), value); !w.ok()) return w;
    return {};
  }

  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    const auto mine = rels();
    return per_cpu::restore_composite(host, address(), raw, [&](const std::string& rel) {
      return std::find(mine.begin(), mine.end(), rel) != mine.end() ? per_cpu::Line::kWrite : per_cpu::Line::kForeign;
    });
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    for (int cpu : cpus_) {
      if (!host.exists(path(cpu)))
        return path(cpu) + " does not exist (no energy/performance bias: the CPU lacks the epb feature, as in most "
                           "VMs, or the kernel predates 5.2)";
      if (auto why = file_not_settable(host, path(cpu))) return why;
    }
    return std::nullopt;
  }

 private:
  static std::string path(int cpu) { return kCpuDir + ("cpu" + std::to_string(cpu)) + "/power/energy_perf_bias"; }

  std::vector<std::string> rels() const {
    std::vector<std::string> out;
    for (int cpu : cpus_) out.push_back("cpu" + std::to_string(cpu) + "/power/energy_perf_bias");
    return out;
  }

  CpuSet cpus_;
};

std::unique_ptr<Knob> make_epb(const std::string& address) {
  const auto parts = split(address, ':');
  if (parts.size() != 2 || parts[1].empty()) return nullptr;
  return std::make_unique<EpbKnob>(address, per_cpu::parse_address_cpus(address, parts[1]));
}

}  // namespace

KnobKind knob_kind_epb() {
  return KnobKind{"epb", "epb:<cpulist>, e.g. epb:0-3,8", make_epb, ApplyPhase::kCpuPower, "/sys/devices/system/cpu",
                  nullptr};
}
}  // namespace tunectl
