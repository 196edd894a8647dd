// irq:<N>:affinity -> /proc/irq/<N>/smp_affinity_list. Compared as canonical cpulists; the effect
// is the effective affinity, which x86 updates lazily at the IRQ's next interrupt ("pending").
// Managed IRQs (kernel-owned queue vectors; irq_managed_reason in probes/irq.h decides) are reported
// as not settable; a write the kernel still refuses (EPERM, EIO on older kernels) is an error, never a crash.
#include <algorithm>
#include <cerrno>

#include "core/errors.h"
#include "probes/irq.h"
#include "tuner/knobs/knob.h"
#include "core/json_check.h"
#include "tuner/knobs/knob_util.h"
#include "tuner/knobs/irq_policy.h"
#include "tuner/knobs/section.h"

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
      : Knob(address), irq_(irq), dir_("/proc/irq/" + std::to_string(irq)), path_(dir_ + "/smp_affinity_list") {}

  std::string kind() const override { return "irq"; }
  std::optional<int> irq() const override { return irq_; }
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
    ReadResult r = host.read(path_);
    if (!r.ok && !host.is_dir(dir_)) return "IRQ " + dir_.substr(10) + " does not exist (" + dir_ + " missing)";
    if (!r.ok) return "cannot read " + r.error;
    if (auto why = irq_managed_reason(host, irq_)) return "managed IRQ: kernel refuses affinity changes: " + *why;
    return std::nullopt;
  }

 private:
  int irq_;
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

namespace {
using namespace json_check;
constexpr int kMaxIrqInMap = 1 << 20;
constexpr size_t kMaxPinned = 2048;

// {"policy": "pin", "map": {"<irq>" | "<nic>:<queue>": "<cpulist>"}}
json canonical_pin(const json& v, const std::string& at) {
  only_keys(v, at, {"policy", "map", "why", "source", "when"});
  if (!v.contains("map")) throw JsonError(at, "missing \"map\" (IRQ number or <nic>:<queue> -> cpulist)");
  const json& map = v["map"];
  const std::string mat = sub(at, "map");
  require_object(map, mat);
  if (map.empty() || map.size() > kMaxPinned)
    throw JsonError(mat, "must map 1 to " + std::to_string(kMaxPinned) + " IRQs or queues");
  for (const auto& [key, cpus] : map.items()) {
    const std::string where = sub(mat, key);
    auto colon = key.find(':');
    if (colon == std::string::npos) {
      auto n = parse_int(key);
      if (!n || *n < 0 || *n > kMaxIrqInMap)
        throw JsonError(where, "must be an IRQ number (0-" + std::to_string(kMaxIrqInMap) + ") or <nic>:<queue>");
    } else {
      check_name(key.substr(0, colon), where, "interface name", ".", 15);
      auto q = parse_int(key.substr(colon + 1));
      if (!q || *q < 0 || *q > 65535) throw JsonError(where, "queue after ':' must be a number 0-65535");
    }
    if (!cpus.is_string()) throw JsonError(where, "must be a cpulist string, got " + cpus.dump());
    check_cpulist(cpus.get<std::string>(), where);
  }
  return {{"policy", "pin"}, {"map", map}};
}

// numa-local | spread, with their defaults filled in.
json canonical_placement(const json& v, const std::string& at, const std::string& policy) {
  std::vector<std::string> keys = {"policy", "nics", "cpus", "avoid_smt_siblings", "exclude_isolated", "why", "source", "when"};
  if (policy == "numa-local") keys.push_back("one_per_core");
  only_keys(v, at, keys);
  json out = {{"policy", policy}};
  canonical_targets(v, at, out);
  for (const char* flag : {"one_per_core", "avoid_smt_siblings", "exclude_isolated"}) {
    if (policy == "spread" && std::string(flag) == "one_per_core") continue;
    out[flag] = v.contains(flag) ? bool_field(v[flag], sub(at, flag)) : true;
  }
  return out;
}

json canonical_irq(const json& v, const std::string& at) {
  if (!v.contains("policy")) throw JsonError(at, "missing \"policy\" (numa-local, spread or pin)");
  const json& pol = v["policy"];
  const std::string pat = sub(at, "policy");
  if (!pol.is_string()) throw JsonError(pat, "must be a string, got " + pol.dump());
  const std::string policy = pol.get<std::string>();
  if (policy == "pin") return canonical_pin(v, at);
  if (policy == "numa-local" || policy == "spread") return canonical_placement(v, at, policy);
  throw JsonError(pat, "unknown policy '" + policy + "' (known: numa-local, spread, pin)");
}

void collect_irq(const json& pol, PlanSink& sink) {
  IrqPlacement placed = place_irqs(pol, sink.snapshot());
  for (auto& n : placed.notes) sink.warn(n);
  const std::string policy = pol["policy"].get<std::string>();
  Setting s = setting_of(json{{"value", ""}, {"why", pol.value("why", "")}, {"source", pol.value("source", "")}}, "/irq");
  if (s.why.empty()) s.why = "irq policy " + policy;
  for (const auto& a : placed.assignments) {
    const std::string address = "irq:" + std::to_string(a.irq) + ":affinity";
    sink.irq_row(IrqMapEntry{a.irq, a.nic, a.queue, a.kind, a.cpus, "", ""});
    s.value = a.cpus;
    if (!a.skip_reason.empty())
      sink.skip(address, s, a.skip_reason);
    else
      sink.add(address, s);
  }
}

}  // namespace

// Profile section: {"irq": POLICY}, numa-local | spread | pin (tuner/knobs/irq_policy.h).
KnobKind knob_kind_irq() {
  auto section = std::make_shared<ProfileSection>();
  section->name = "irq";
  section->shape = SectionShape::kPolicy;
  section->canonical_policy = canonical_irq;
  section->collect = collect_irq;
  return KnobKind{"irq", "irq:<N>:affinity, e.g. irq:38:affinity", make_irq, ApplyPhase::kIrq, "/proc/irq", section};
}
}  // namespace tunectl
