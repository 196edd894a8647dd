// boot:<parameter> -> one kernel command-line parameter in tunectl's share of the boot loader
// configuration (boot_config.h): the GRUB drop-in or /etc/kernel/cmdline. The file is what the
// next boot gets, so that is what a plan compares and a transaction journals and restores; the
// running kernel's /proc/cmdline only tells verify and status whether a reboot is still pending.
// After a transaction writes or restores any of them, the boot loader's configuration is
// regenerated once (update-grub, grub-mkconfig or kernel-install), on the live host only.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>
#include <set>

#include "core/errors.h"
#include "core/json_check.h"
#include "core/run_command.h"
#include "core/strict_json.h"
#include "tuner/knobs/boot_config.h"
#include "tuner/knobs/cpu_pool.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/knob_util.h"
#include "tuner/knobs/section.h"

namespace tunectl {
namespace {
using namespace knob_util;

enum class ParamType {
  kIsolating,    // a cpulist the kernel keeps its own work off (nohz_full, rcu_nocbs)
  kIsolcpus,     // [flag,...,]cpulist; flags nohz, domain, managed_irq
  kHousekeeping, // a cpulist the kernel's own work goes to (irqaffinity)
  kChoice,
  kInt,
};

struct ParamSpec {
  ParamType type;
  std::vector<std::string> choices;  // kChoice
  int64_t lo = 0, hi = 0;            // kInt
};

// The allowlist: the parameters the latency and isolation procedures need
// (Documentation/admin-guide/kernel-parameters.txt).
const std::map<std::string, ParamSpec>& params() {
  static const std::map<std::string, ParamSpec> p = {
      {"isolcpus", {ParamType::kIsolcpus, {}}},
      {"nohz_full", {ParamType::kIsolating, {}}},
      {"rcu_nocbs", {ParamType::kIsolating, {}}},
      {"irqaffinity", {ParamType::kHousekeeping, {}}},
      {"transparent_hugepage", {ParamType::kChoice, {"always", "madvise", "never"}}},
      {"intel_idle.max_cstate", {ParamType::kInt, {}, 0, 9}},
      {"processor.max_cstate", {ParamType::kInt, {}, 0, 9}},
      {"skew_tick", {ParamType::kInt, {}, 0, 1}},
      {"nmi_watchdog", {ParamType::kInt, {}, 0, 1}},
  };
  return p;
}
std::vector<std::string> param_names() {
  std::vector<std::string> out;
  for (const auto& [name, spec] : params()) out.push_back(name);
  return out;
}
std::string param_list() {
  std::string out;
  for (const auto& n : param_names()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

const std::set<std::string> kIsolcpusFlags = {"nohz", "domain", "managed_irq"};
// Symbolic CPU sets a profile may use instead of a cpulist; the section's collector replaces
// them with the host's CPUs before a value reaches a knob.
const char* const kApplication = "application";
const char* const kHousekeepingSpec = "housekeeping";

bool is_cpulist_type(ParamType t) {
  return t == ParamType::kIsolating || t == ParamType::kIsolcpus || t == ParamType::kHousekeeping;
}

// isolcpus: the flags before the CPU list ("managed_irq,domain,2-3" -> {managed_irq, domain}, "2-3").
std::pair<std::vector<std::string>, std::string> split_flags(const std::string& value) {
  std::vector<std::string> flags;
  std::string rest = value;
  for (;;) {
    const size_t comma = rest.find(',');
    const std::string head = rest.substr(0, comma);
    if (!kIsolcpusFlags.count(head) || comma == std::string::npos) break;
    flags.push_back(head);
    rest = rest.substr(comma + 1);
  }
  return {flags, rest};
}

// Only characters that mean nothing to the shell sourcing a GRUB drop-in, nor to the kernel's
// command-line splitter.
bool plain_word(const std::string& v) {
  return !v.empty() && v.size() <= 4096 &&
         std::all_of(v.begin(), v.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == ',' || c == '-' || c == '_' || c == '.'; });
}

class BootKnob : public Knob {
 public:
  BootKnob(const std::string& address, std::string name, ParamSpec spec)
      : Knob(address), name_(std::move(name)), spec_(std::move(spec)) {}

  std::string kind() const override { return "boot"; }

  // The parameter's value in the boot configuration; "" when it is not there.
  ReadResult read_raw(const Host& host) const override {
    const ConfiguredParams c = read_configured_params(host, detect_boot_config(host));
    if (!c.ok) return ReadResult{false, "", EINVAL, c.error};
    return ReadResult{true, cmdline_param(c.params, name_).value_or(""), 0, ""};
  }

  std::string normalise(const std::string& value) const override {
    const std::string v = trim(value);
    if (spec_.type == ParamType::kInt) {
      auto n = parse_int(v);
      return n ? std::to_string(*n) : v;
    }
    if (!is_cpulist_type(spec_.type)) return v;
    auto [flags, cpus] = spec_.type == ParamType::kIsolcpus ? split_flags(v) : std::make_pair(std::vector<std::string>{}, v);
    std::sort(flags.begin(), flags.end());
    auto list = parse_cpulist(cpus);
    std::string out;
    for (const auto& f : flags) out += f + ",";
    return out + (list.ok() ? format_cpulist(*list.value) : cpus);
  }

  std::optional<std::string> validate(const std::string& desired) const override {
    const std::string v = trim(desired);
    if (!plain_word(v)) return "must be a single word of letters, digits and , - _ . (got '" + v + "')";
    switch (spec_.type) {
      case ParamType::kChoice:
        if (std::find(spec_.choices.begin(), spec_.choices.end(), v) == spec_.choices.end())
          return "must be one of always, madvise, never, got '" + v + "'";
        return std::nullopt;
      case ParamType::kInt: return check_int(v, spec_.lo, spec_.hi);
      default: break;
    }
    auto [flags, cpus] = spec_.type == ParamType::kIsolcpus ? split_flags(v) : std::make_pair(std::vector<std::string>{}, v);
    if (cpus == kApplication || cpus == kHousekeepingSpec) return std::nullopt;  // resolved per host
    auto list = parse_cpulist(cpus);
    if (!list.ok()) {
      if (spec_.type == ParamType::kIsolcpus && cpus.find(',') != std::string::npos && !std::isdigit(static_cast<unsigned char>(cpus[0])))
        return "unknown isolcpus flag in '" + v + "' (flags: domain, managed_irq, nohz; then a cpulist)";
      return "must be a cpulist, \"application\" or \"housekeeping\", got '" + cpus + "' (" + list.error + ")";
    }
    if (list.value->empty()) return "must name at least one CPU";
    return std::nullopt;
  }

  // A CPU list must name CPUs this host has and, for the isolating ones, leave CPUs for the
  // kernel's own work ("housekeeping CPUs must remain").
  std::optional<std::string> validate_for(const Host& host, const std::string& desired) const override {
    if (auto bad = validate(desired)) return bad;
    if (!is_cpulist_type(spec_.type)) return std::nullopt;
    const std::string v = trim(desired);
    const std::string cpus = spec_.type == ParamType::kIsolcpus ? split_flags(v).second : v;
    if (cpus == kApplication || cpus == kHousekeepingSpec)
      return "'" + cpus + "' is resolved by the profile's boot section, not written as is";
    const CpuSet list = *parse_cpulist(cpus).value;
    if (auto n = possible_cpus(host); n && list.back() >= *n)
      return "CPU " + std::to_string(list.back()) + " does not exist (possible CPUs: 0-" + std::to_string(*n - 1) + ")";
    const auto online = online_cpus(host);
    if (!online) return std::nullopt;
    if (spec_.type == ParamType::kHousekeeping) {
      if (intersect(list, *online).empty()) return "names no online CPU (online: " + format_cpulist(*online) + ")";
    } else if (subtract(*online, list).empty()) {
      return "leaves no housekeeping CPU: every online CPU (" + format_cpulist(*online) + ") would be isolated";
    }
    return std::nullopt;
  }

  WriteOutcome write(const Host& host, const std::string& desired) const override { return set(host, trim(desired)); }
  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    return set(host, raw.empty() ? std::nullopt : std::optional<std::string>(raw));
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    const BootConfig config = detect_boot_config(host);
    if (config.loader == BootLoader::kNone) return config.why;
    if (config.loader == BootLoader::kGrub && !host.is_dir("/etc/default/grub.d"))
      return "GRUB without /etc/default/grub.d (GRUB older than 2.02?): tunectl only writes its own drop-in there";
    const ConfiguredParams c = read_configured_params(host, config);
    if (!c.ok) return c.error;
    return std::nullopt;
  }

  std::string note_when_changed() const override {
    return "is a kernel parameter: takes effect at the next boot (verify and status say pending-reboot until then)";
  }
  bool takes_effect_at_boot() const override { return true; }

  std::optional<std::string> awaiting_reboot(const Host& host, const std::string& desired) const override {
    const ReadResult r = host.read("/proc/cmdline");
    if (!r.ok) return "cannot read /proc/cmdline (" + r.error + "): not known to be in effect";
    const auto running = cmdline_param(r.data, name_);
    if (running && normalise(*running) == normalise(desired)) return std::nullopt;
    return "the running kernel has " + (running ? name_ + "=" + *running : "no " + name_) +
           " (/proc/cmdline): takes effect at the next boot";
  }

 private:
  WriteOutcome set(const Host& host, const std::optional<std::string>& value) const {
    const BootConfig config = detect_boot_config(host);
    const ConfiguredParams c = read_configured_params(host, config);
    if (!c.ok) return WriteOutcome{EINVAL, address() + ": " + c.error};
    const int err = write_configured_params(host, config, set_cmdline_param(c.params, name_, value));
    if (err != 0) return write_error(host, address(), config.file, err, value.value_or(""), WriteContext::kGeneric);
    return {};
  }

  std::string name_;
  ParamSpec spec_;
};

std::unique_ptr<Knob> make_boot(const std::string& address) {
  const std::string name = address.substr(5);  // after "boot:"
  if (name.empty()) return nullptr;
  const auto it = params().find(name);
  if (it == params().end()) {
    const auto close = closest_name(name, param_names());
    throw InputError("bad knob address '" + address + "': '" + name + "' is not a kernel parameter tunectl sets" +
                     (close ? "; did you mean '" + *close + "'?" : std::string()) + " (allowed: " + param_list() + ")");
  }
  return std::make_unique<BootKnob>(address, name, it->second);
}

// The first physical core (with its SMT siblings) of each NUMA node: where the kernel's own work
// stays when the rest is isolated. Online CPUs only.
CpuSet first_core_per_node(const Topology& topo) {
  std::map<int, const CpuInfo*> first;  // node -> its lowest online CPU
  for (const auto& c : topo.cpus)
    if (c.online && !first.count(c.node.value_or(0))) first[c.node.value_or(0)] = &c;
  CpuSet out;
  for (const auto& [node, c] : first) {
    auto siblings = parse_cpulist(c->siblings);
    if (siblings.ok() && !siblings.value->empty())
      out.insert(out.end(), siblings.value->begin(), siblings.value->end());
    else
      out.push_back(c->cpu);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return intersect(out, topo.online_cpus());
}

// Replaces "application"/"housekeeping" in a CPU-list value with the host's CPUs; nullopt (with
// `why`) when the set is empty on this host.
std::optional<std::string> resolve(const std::string& name, const std::string& value, const Topology& topo,
                                   std::string& why) {
  const ParamSpec& spec = params().at(name);
  if (!is_cpulist_type(spec.type)) return value;
  auto [flags, cpus] = spec.type == ParamType::kIsolcpus ? split_flags(value) : std::make_pair(std::vector<std::string>{}, value);
  if (cpus != kApplication && cpus != kHousekeepingSpec) return value;
  const CpuSet housekeeping = first_core_per_node(topo);
  const CpuSet set = cpus == kApplication ? subtract(topo.online_cpus(), housekeeping) : housekeeping;
  if (set.empty()) {
    why = "no application CPU on this host: every online CPU belongs to the first core of its NUMA node, which "
          "stays for housekeeping";
    return std::nullopt;
  }
  std::string out;
  for (const auto& f : flags) out += f + ",";
  return out + format_cpulist(set);
}

// The boot section as a whole: symbolic CPU sets resolved, and the rules only the set of
// parameters can break: housekeeping CPUs must remain, and irqaffinity must stay off the
// isolated CPUs.
void collect_boot(const json& section, PlanSink& sink) {
  if (!sink.need("topology", "boot parameters")) return;
  const Topology& topo = *sink.snapshot().topology;
  std::map<std::string, std::pair<std::string, Setting>> resolved;  // name -> (cpulist part, setting)
  for (const auto& [key, item] : section.items()) {
    Setting s = setting_of(item, "/boot/" + pointer_token(key));
    std::string why;
    const auto value = resolve(key, s.value, topo, why);
    if (!value) {
      sink.skip("boot:" + key, s, why);
      continue;
    }
    s.value = *value;
    resolved[key] = {params().at(key).type == ParamType::kIsolcpus ? split_flags(*value).second : *value, s};
  }
  CpuSet isolated;
  std::string isolating;
  for (const char* name : {"isolcpus", "nohz_full"})
    if (auto it = resolved.find(name); it != resolved.end()) {
      auto list = parse_cpulist(it->second.first);
      if (!list.ok()) continue;  // the knob's own validation names it
      isolated.insert(isolated.end(), list.value->begin(), list.value->end());
      isolating += std::string(isolating.empty() ? "" : " and ") + name;
    }
  std::sort(isolated.begin(), isolated.end());
  isolated.erase(std::unique(isolated.begin(), isolated.end()), isolated.end());
  const CpuSet online = topo.online_cpus();
  if (!isolated.empty() && !online.empty() && subtract(online, isolated).empty())
    sink.profile_error("/boot", isolating + " together isolate every online CPU (" + format_cpulist(online) +
                                    "): housekeeping CPUs must remain");
  if (auto it = resolved.find("irqaffinity"); it != resolved.end() && !isolated.empty()) {
    auto list = parse_cpulist(it->second.first);
    if (list.ok() && !intersect(*list.value, isolated).empty())
      sink.profile_error(it->second.second.pointer, "irqaffinity " + it->second.first + " includes CPUs that " +
                                                        isolating + " isolate (" + format_cpulist(isolated) +
                                                        "): interrupts belong on the housekeeping CPUs");
  }
  for (const auto& [name, r] : resolved) sink.add("boot:" + name, r.second);
}

// Once per transaction that wrote or restored boot parameters: the boot loader's own files are
// generated from the drop-in, so without this the next boot would not see the change.
WriteOutcome regenerate(const Host& host) {
  if (!host.is_live()) return {0, "captured tree: the boot loader configuration is not regenerated"};
  const BootConfig config = detect_boot_config(host);
  const auto cmd = regeneration_command(host, config);
  if (cmd.empty())
    return {0, std::string("no ") + (config.loader == BootLoader::kGrub ? "update-grub or grub-mkconfig" : "kernel-install") +
                   " found: regenerate the boot loader configuration from " + config.file + " before rebooting"};
  std::string shown;
  for (const auto& a : cmd) shown += (shown.empty() ? "" : " ") + a;
  const CommandResult r = run_command(cmd);
  if (!r.ok())
    return {EIO, "boot: `" + shown + "` failed (" + (r.error.empty() ? "exit " + std::to_string(r.exit_code) : r.error) +
                     (r.last_line().empty() ? "" : ": " + r.last_line()) + ")"};
  return {0, "ran `" + shown + "`"};
}

}  // namespace

// Profile section: {"boot": {"isolcpus": SETTING, "nohz_full": SETTING, ...}}.
KnobKind knob_kind_boot() {
  auto section = std::make_shared<ProfileSection>();
  section->name = "boot";
  section->shape = SectionShape::kKeyed;
  section->check_key = [](const std::string& key, const std::string& at) {
    if (!params().count(key)) {
      const auto close = closest_name(key, param_names());
      throw JsonError(at, "'" + key + "' is not a kernel parameter tunectl sets" +
                              (close ? "; did you mean '" + *close + "'?" : std::string()) + " (allowed: " + param_list() + ")");
    }
  };
  section->address = [](const std::string& key, const std::string&) { return "boot:" + key; };
  section->collect = collect_boot;
  KnobKind kind{"boot", "boot:<kernel parameter>, e.g. boot:isolcpus, boot:nohz_full, boot:transparent_hugepage",
                make_boot, ApplyPhase::kBoot, "", section};
  kind.after_writes = regenerate;
  return kind;
}

}  // namespace tunectl
