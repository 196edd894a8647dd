// Knob: the single unit the tuner can change, addressed as "<kind>:<rest>", e.g.
//   sysctl:net.ipv4.tcp_keepalive_time   thp:enabled   irq:38:affinity   rps:eth0:rx-0
//   xps:eth0:tx-0   ethtool:eth0:channels.combined   cgroup:/work.slice:cpu.max
// The knob registry is the allowlist: an address no registered kind accepts cannot be written,
// and every write in tunectl goes through a Knob.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"

namespace tunectl {

struct ProfileSection;

// The outcome of a write or restore: errno 0 on success, otherwise a one-line message naming the
// knob and the kernel's answer ("irq:36:affinity: kernel refused (EPERM): managed IRQ").
struct WriteOutcome {
  int err = 0;
  std::string message;
  bool ok() const { return err == 0; }
};

// Whether a written value is visible in its effect (not only in the file read back).
enum class EffectStatus { kOk, kPending, kFailed, kNotApplicable };
struct Effect {
  EffectStatus status = EffectStatus::kNotApplicable;
  std::string detail;  // e.g. "effective affinity 1 (requested 0-1)"
};
const char* to_string(EffectStatus s);

class Knob {
 public:
  virtual ~Knob() = default;

  const std::string& address() const { return address_; }
  virtual std::string kind() const = 0;

  // Exact current bytes, for the journal (never normalised).
  virtual ReadResult read_raw(const Host& host) const = 0;
  // Comparable form of raw bytes or of a desired value: canonical cpulist, selected choice,
  // whitespace-folded numbers. Two values are equal iff their normal forms are equal.
  virtual std::string normalise(const std::string& value) const = 0;
  // Checks a desired value before anything is planned; the reason when it is invalid.
  // Host-independent (profile loading): syntax and documented ranges.
  virtual std::optional<std::string> validate(const std::string& desired) const = 0;
  // validate() plus what only the host can tell: the file's own bracketed choices (thp), CPUs
  // that exist/are online (irq, rps), the cgroup controller version. Use this when planning.
  virtual std::optional<std::string> validate_for(const Host& host, const std::string& desired) const;
  // normalise() for bytes read from the kernel file (read_raw), where the raw and the desired
  // syntax differ: rps/xps files hold hex masks while desired values are cpulists. For every
  // other kind this is normalise(). Planners/verifiers should compare
  //   normalise_raw(read_raw().data) == normalise(desired).
  virtual std::string normalise_raw(const std::string& raw) const;
  // Whether raw bytes (read_raw) satisfy a desired value. Default: equal normal forms. A kind
  // whose desired value is a bound rather than a state overrides it (cpuidle: a latency ceiling
  // is met when every state above it is disabled). Planner, read-back and verify all ask this.
  virtual bool matches(const std::string& raw, const std::string& desired) const;
  // Writes a (validated) desired value.
  virtual WriteOutcome write(const Host& host, const std::string& desired) const = 0;
  // Puts back bytes captured by read_raw. Live kernel files get the value the kernel accepts
  // (the selected choice of "always [madvise] never"); captured trees get the exact bytes.
  virtual WriteOutcome restore(const Host& host, const std::string& raw) const = 0;
  // After a write: is the effect visible? Default: not applicable.
  virtual Effect check_effect(const Host& host, const std::string& desired) const;
  // Why this knob cannot be set on this host (managed IRQ, missing file, read-only /proc/sys),
  // or nullopt when it can.
  virtual std::optional<std::string> not_settable(const Host& host) const;
  // Per network namespace (net.* sysctls): noted in plans.
  virtual bool per_netns() const { return false; }
  // The IRQ number or network interface this knob's file belongs to, or nullopt. A rollback
  // checks it is still the same device (tuner/apply/knob_identity.h): numbers and names get reused.
  virtual std::optional<int> irq() const { return std::nullopt; }
  virtual std::optional<std::string> interface() const { return std::nullopt; }
  // Order among knobs of the same ApplyPhase (lower first), e.g. cpu.max before cpu.max.burst.
  virtual int order_in_phase() const { return 0; }
  // What a plan should tell the user when this knob changes ("changes the queue count: ..."), or "".
  virtual std::string note_when_changed() const { return ""; }
  // The address of the knob that creates the container this knob's file lives in (a cgroup
  // file's cgroup_dir), or nullopt. When a plan creates that container, this knob has no
  // previous bytes: rolling back the container removes it.
  virtual std::optional<std::string> container() const { return std::nullopt; }
  // A knob whose file configures the next boot (boot: kernel parameters) rather than the running
  // kernel: its bytes survive a reboot, so a record from an earlier boot still restores it, and an
  // audit cannot measure it.
  virtual bool takes_effect_at_boot() const { return false; }
  // For such a knob holding `desired`: why the running kernel does not have it yet ("running
  // kernel has isolcpus=1 (/proc/cmdline)"), or nullopt when it booted with it. Verify and status
  // report it as pending-reboot.
  virtual std::optional<std::string> awaiting_reboot(const Host&, const std::string&) const { return std::nullopt; }

 protected:
  explicit Knob(std::string address) : address_(std::move(address)) {}

 private:
  std::string address_;
};

// Creates the knob for an address, or throws InputError("unknown knob '<address>' (known kinds:
// sysctl:, thp:, ...)") / InputError("bad knob address '<address>': <reason>").
std::unique_ptr<Knob> make_knob(const std::string& address);

// The name in `known` closest to `given` by edit distance (a transposition counts as one edit),
// when it is close enough to be a typo: at most one edit per five characters (at least one). Or
// the one known dotted name with the same last component ("net.core.tcp_fin_timeout" ->
// "net.ipv4.tcp_fin_timeout"). For "did you mean" hints; nullopt when nothing is close.
std::optional<std::string> closest_name(const std::string& given, const std::vector<std::string>& known);

// When a kind's knobs are written within one apply; each phase only depends on earlier ones:
//   containers (cgroup directories) before the limits inside them; device queue counts (ethtool
//   channels re-create queues and their IRQs) before anything per queue; sysctls (rps flow table
//   size) before per-queue steering; steering, then IRQ affinity; CPU power; memory policy (THP)
//   last of the runtime settings, since it changes every process at once and a failure earlier
//   rolls back before it; then the boot configuration (kernel parameters), which changes nothing
//   until the next boot.
enum class ApplyPhase { kContainers, kContainerLimits, kDevice, kSysctl, kSteering, kIrq, kCpuPower, kMemory, kBoot };

// One knob kind: everything tunectl knows about it is declared in its own file
// (tuner/knobs/knob_<prefix>.cpp), which defines knob_kind_<prefix>() and is listed by one line in
// tuner/knobs/kinds.def.
struct KnobKind {
  std::string prefix;  // "sysctl"
  std::string help;    // address syntax, for error messages and docs
  // Returns the knob, nullptr if the address is not of this kind's shape, or throws InputError
  // with a precise reason when the shape is right but the address is not allowed.
  std::function<std::unique_ptr<Knob>(const std::string& address)> make;
  ApplyPhase phase = ApplyPhase::kSysctl;
  // The kernel directory its files live in: a read-only mount there (a container's /proc/sys)
  // refuses the whole apply before anything is written. Empty: not file-backed (netlink).
  std::string kernel_dir;
  // The profile section this kind owns, if any (tuner/knobs/section.h).
  std::shared_ptr<const ProfileSection> section;
  // Run once after a transaction wrote or restored knobs of this kind (boot: regenerate the boot
  // loader's configuration from the drop-in), or empty. A failure fails the apply like a write.
  std::function<WriteOutcome(const Host& host)> after_writes;
};
// Every knob kind, in tuner/knobs/kinds.def order.
const std::vector<KnobKind>& knob_kinds();
#define TUNECTL_KNOB_KIND(prefix) KnobKind knob_kind_##prefix();
#include "tuner/knobs/kinds.def"
#undef TUNECTL_KNOB_KIND
// The kind of an address ("sysctl:vm.swappiness" -> sysctl), or throws InputError like make_knob.
const KnobKind& knob_kind_of(const std::string& address);

}  // namespace tunectl
