// irq:<N>:affinity -> /proc/irq/<N>/smp_affinity_list. Compared as canonical cpulists; the effect
// is the effective affinity, which x86 updates lazily at the IRQ's next interrupt ("pending").
// Managed IRQs (kernel-owned queue vectors) have read-only files or refuse writes with EPERM
// (EIO on older kernels): reported as not settable, never a crash.
#include <algorithm>
#include <cerrno>

#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/knob_util.h"

namespace tunectl {
namespace {
using namespace knob_util;

constexpr int64_t kMaxIrq = 1 << 20;

std::string canonical(const std::string& value) {
  auto p = parse_cpulist(trim(value));
  return p.ok() ? format_cpulist(*p.value) : fold_ws(value);
}

class IrqAffinityKnob : public Knob {
 public:
  IrqAffinityKnob(const std::string& address, int irq)
      : Knob(address), dir_("/proc/irq/" + std::to_string(irq)), path_(dir_ + "/smp_affinity_list") {}

  std::string kind() const override { return "irq"; }
  ReadResult read_raw(const Host& host) const override { return host.read(path_); }
  std::string normalise(const std::string& value) const override { return canonical(value); }

  std::optional<std::string> validate(const std::string& desired) const override {
    auto p = parse_cpulist(trim(desired));
    if (!p.ok()) return p.error;
    if (p.value->empty()) return "an IRQ needs at least one CPU, got an empty cpulist";
    return std::nullopt;
  }

  std::optional<std::string> validate_for(const Host& host, const std::string& desired) const override {
    if (auto why = validate(desired)) return why;
    if (auto online = online_cpus(host)) {
      CpuSet want = *parse_cpulist(trim(desired)).value, outside;
      for (int c : want)
        if (!std::binary_search(online->begin(), online->end(), c)) outside.push_back(c);
      if (!outside.empty())
        return "CPUs " + format_cpulist(outside) + " are not online (online: " + format_cpulist(*online) + ")";
    }
    return std::nullopt;
  }

  // "0-1\n": the canonical list, as the kernel shows it back.
  WriteOutcome write(const Host& host, const std::string& desired) const override {
    return write_file(host, address(), path_, canonical(desired) + "\n", WriteContext::kIrqAffinity);
  }

  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    return write_file(host, address(), path_, raw, WriteContext::kIrqAffinity);
  }

  Effect check_effect(const Host& host, const std::string& desired) const override {
    auto want = parse_cpulist(trim(desired));
    if (!want.ok()) return {EffectStatus::kFailed, "bad desired cpulist: " + want.error};
    auto eff_text = host.read_trimmed(dir_ + "/effective_affinity_list");
    if (!eff_text) return {EffectStatus::kNotApplicable, "no effective_affinity_list on this kernel"};
    auto eff = parse_cpulist(*eff_text);
    if (!eff.ok()) return {EffectStatus::kFailed, "unreadable effective affinity: " + eff.error};
    const std::string detail = "effective affinity " + format_cpulist(*eff.value) + " (requested " +
                               format_cpulist(*want.value) + ")";
    if (!eff.value->empty() &&
        std::includes(want.value->begin(), want.value->end(), eff.value->begin(), eff.value->end()))
      return {EffectStatus::kOk, detail};
    return {EffectStatus::kPending, detail + "; x86 moves an IRQ at its next interrupt"};
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    if (!host.is_dir(dir_)) return "IRQ " + dir_.substr(10) + " does not exist (" + dir_ + " missing)";
    ReadResult r = host.read(path_);
    if (!r.ok) return "cannot read " + r.error;
    if (host.is_read_only(path_))
      return "managed IRQ: kernel refuses affinity changes (" + path_ + " is read-only)";
    return std::nullopt;
  }

 private:
  std::string dir_, path_;
};

std::unique_ptr<Knob> make_irq(const std::string& address) {
  const auto parts = split(address, ':');
  if (parts.size() != 3 || parts[2] != "affinity")
    throw InputError("bad knob address '" + address + "': expected irq:<N>:affinity");
  if (!is_digits(parts[1]) || parts[1].size() > 7 || (parts[1].size() > 1 && parts[1][0] == '0'))
    throw InputError("bad knob address '" + address + "': IRQ number '" + parts[1] + "' is not a decimal number");
  const int64_t n = *parse_int(parts[1]);
  if (n > kMaxIrq) throw InputError("bad knob address '" + address + "': IRQ number " + parts[1] + " is out of range");
  return std::make_unique<IrqAffinityKnob>(address, static_cast<int>(n));
}

}  // namespace

KnobKind knob_kind_irq() {
  return KnobKind{"irq", "irq:<N>:affinity, e.g. irq:38:affinity", make_irq};
}
}  // namespace tunectl
