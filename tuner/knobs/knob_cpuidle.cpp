// cpuidle:<cpulist>:max_latency_us -> a ceiling on idle-state exit latency for every CPU in the
// list: each /sys/devices/system/cpu/cpuN/cpuidle/stateK whose `latency` exceeds the ceiling is
// disabled (disable=1). States are never enabled, so a state the operator disabled stays
// disabled; restore puts back every state's own `disable` bytes.
//
// The raw value is the per-CPU composite (per_cpu_files.h) of every state's `disable` and
// `latency` (the latter as context, never written), so matches() can decide without the host:
// the ceiling is met when every state above it is disabled on every listed CPU. It normalises to
// the exit latency of the deepest enabled state ("mixed: ..." when the CPUs differ).
#include <algorithm>
#include <cerrno>
#include <climits>
#include <map>

#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/knob_util.h"
#include "tuner/knobs/per_cpu_files.h"

namespace tunectl {
namespace {
using namespace knob_util;
using per_cpu::kCpuDir;

// One state of one CPU, gathered from a composite.
struct StateView {
  std::optional<int64_t> latency;
  std::optional<std::string> disable;  // trimmed
};
using States = std::map<std::pair<int, int>, StateView>;  // (cpu, state) -> view

// "cpu3/cpuidle/state2/disable" -> {3, 2, "disable"}.
struct StatePath {
  int cpu = -1, state = -1;
  std::string file;
};
std::optional<StatePath> parse_state_path(const std::string& rel) {
  const auto parts = split(rel, '/');
  if (parts.size() != 4 || parts[1] != "cpuidle" || parts[2].compare(0, 5, "state") != 0) return std::nullopt;
  const std::string k = parts[2].substr(5);
  auto cpu = per_cpu::cpu_of(rel);
  if (!cpu || !is_digits(k) || k.size() > 2 || (k.size() > 1 && k[0] == '0')) return std::nullopt;
  return StatePath{*cpu, static_cast<int>(*parse_int(k)), parts[3]};
}

std::optional<States> states_of(const std::string& raw) {
  auto files = per_cpu::decode(raw);
  if (!files.ok()) return std::nullopt;
  States out;
  for (const auto& f : *files.value) {
    auto p = parse_state_path(f.rel);
    if (!p) return std::nullopt;
    StateView& v = out[{p->cpu, p->state}];
    if (p->file == "latency") v.latency = parse_int(trim(f.bytes));
    else if (p->file == "disable") v.disable = trim(f.bytes);
    else return std::nullopt;
  }
  return out;
}

class CpuidleKnob : public Knob {
 public:
  CpuidleKnob(const std::string& address, CpuSet cpus) : Knob(address), cpus_(std::move(cpus)) {}

  std::string kind() const override { return "cpuidle"; }

  ReadResult read_raw(const Host& host) const override {
    std::vector<std::string> rels;
    for (int cpu : cpus_) {
      const auto states = state_numbers(host, cpu);
      if (states.empty()) return ReadResult{false, "", ENOENT, no_states(host, cpu)};
      for (int k : states) {
        const std::string dir = "cpu" + std::to_string(cpu) + "/cpuidle/state" + std::to_string(k) + "/";
        rels.push_back(dir + "disable");
        rels.push_back(dir + "latency");
      }
    }
    return per_cpu::read_composite(host, rels);
  }

  std::string normalise(const std::string& value) const override {
    auto v = parse_int(trim(value));
    return v ? std::to_string(*v) : fold_ws(value);
  }

  // Per CPU: the exit latency of its deepest enabled state (0 when none is enabled).
  std::string normalise_raw(const std::string& raw) const override {
    auto states = states_of(raw);
    if (!states) return "unreadable cpuidle composite";
    std::map<int, int64_t> deepest;
    for (const auto& [key, v] : *states) {
      int64_t& d = deepest[key.first];
      if (v.disable != "1" && v.latency) d = std::max(d, *v.latency);
    }
    std::vector<std::pair<int, std::string>> values;
    for (const auto& [cpu, d] : deepest) values.push_back({cpu, std::to_string(d)});
    return per_cpu::agree(values);
  }

  bool matches(const std::string& raw, const std::string& desired) const override {
    auto ceiling = parse_int(trim(desired));
    auto states = states_of(raw);
    if (!ceiling || !states || states->empty()) return false;
    for (const auto& [key, v] : *states) {
      if (!v.latency || !v.disable) return false;
      if (*v.latency > *ceiling && *v.disable != "1") return false;
    }
    return true;
  }

  std::optional<std::string> validate(const std::string& desired) const override {
    return check_int(desired, 0, INT32_MAX);
  }

  std::optional<std::string> validate_for(const Host& host, const std::string& desired) const override {
    if (auto why = validate(desired)) return why;
    if (auto why = per_cpu::check_online(host, cpus_)) return why;
    for (int cpu : cpus_)
      if (state_numbers(host, cpu).empty()) return no_states(host, cpu);
    return std::nullopt;
  }

  // Disables what is too slow to wake from; leaves every other state as it is.
  WriteOutcome write(const Host& host, const std::string& desired) const override {
    auto ceiling = parse_int(trim(desired));
    if (!ceiling) return WriteOutcome{EINVAL, address() + ": '" + trim(desired) + "' is not a latency in us"};
    for (int cpu : cpus_) {
      const auto states = state_numbers(host, cpu);
      if (states.empty()) return WriteOutcome{ENOENT, address() + ": " + no_states(host, cpu)};
      for (int k : states) {
        const std::string dir = kCpuDir + ("cpu" + std::to_string(cpu)) + "/cpuidle/state" + std::to_string(k) + "/";
        ReadResult lat = host.read(dir + "latency");
        auto latency = lat.ok ? parse_int(trim(lat.data)) : std::nullopt;
        if (!latency)
          return WriteOutcome{lat.ok ? EINVAL : lat.err,
                              address() + ": cannot read " + dir + "latency" + (lat.ok ? "" : ": " + lat.error)};
        if (*latency <= *ceiling) continue;
        if (host.read_trimmed(dir + "disable") == std::optional<std::string>("1")) continue;
        if (WriteOutcome w = write_file(host, address(), dir + "disable", "1\n"); !w.ok()) return w;
      }
    }
    return {};
  }

  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    return per_cpu::restore_composite(host, address(), raw, [&](const std::string& rel) {
      auto p = parse_state_path(rel);
      if (!p || !std::binary_search(cpus_.begin(), cpus_.end(), p->cpu)) return per_cpu::Line::kForeign;
      if (p->file == "disable") return per_cpu::Line::kWrite;
      return p->file == "latency" ? per_cpu::Line::kContext : per_cpu::Line::kForeign;
    });
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    for (int cpu : cpus_) {
      const auto states = state_numbers(host, cpu);
      if (states.empty()) return no_states(host, cpu);
      for (int k : states) {
        const std::string path =
            kCpuDir + ("cpu" + std::to_string(cpu)) + "/cpuidle/state" + std::to_string(k) + "/disable";
        if (auto why = file_not_settable(host, path)) return why;
      }
    }
    return std::nullopt;
  }

 private:
  static std::vector<int> state_numbers(const Host& host, int cpu) {
    std::vector<int> out;
    for (const auto& name : host.list(kCpuDir + ("cpu" + std::to_string(cpu)) + "/cpuidle")) {
      const std::string k = name.compare(0, 5, "state") == 0 ? name.substr(5) : "";
      if (is_digits(k) && k.size() <= 2) out.push_back(static_cast<int>(*parse_int(k)));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  static std::string no_states(const Host& host, int cpu) {
    const std::string driver = host.read_trimmed(kCpuDir + std::string("cpuidle/current_driver")).value_or("");
    const std::string dir = kCpuDir + ("cpu" + std::to_string(cpu)) + "/cpuidle";
    if (driver.empty() && !host.is_dir(kCpuDir + std::string("cpuidle")))
      return "no cpuidle support in this kernel (no " + dir + ")";
    return "CPU " + std::to_string(cpu) + " has no idle states (cpuidle driver: " + (driver.empty() ? "?" : driver) +
           "; no " + dir + "/state*)";
  }

  CpuSet cpus_;
};

std::unique_ptr<Knob> make_cpuidle(const std::string& address) {
  const auto parts = split(address, ':');
  if (parts.size() != 3) return nullptr;
  const CpuSet cpus = per_cpu::parse_address_cpus(address, parts[1]);
  if (parts[2] != "max_latency_us")
    throw InputError("bad knob address '" + address + "': '" + parts[2] +
                     "' is not a cpuidle setting (allowed: max_latency_us)");
  return std::make_unique<CpuidleKnob>(address, cpus);
}

}  // namespace

KnobKind knob_kind_cpuidle() {
  return KnobKind{"cpuidle", "cpuidle:<cpulist>:max_latency_us, e.g. cpuidle:0-3:max_latency_us", make_cpuidle,
                  ApplyPhase::kCpuPower, "/sys/devices/system/cpu", nullptr};
}
}  // namespace tunectl
