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

 protected:
  explicit Knob(std::string address) : address_(std::move(address)) {}

 private:
  std::string address_;
};

// Creates the knob for an address, or throws InputError("unknown knob '<address>' (known kinds:
// sysctl:, thp:, ...)") / InputError("bad knob address '<address>': <reason>").
std::unique_ptr<Knob> make_knob(const std::string& address);

// Registry of knob kinds; each kind registers itself from its own file.
struct KnobKind {
  std::string prefix;  // "sysctl"
  std::string help;    // address syntax, for error messages and docs
  // Returns the knob, nullptr if the address is not of this kind's shape, or throws InputError
  // with a precise reason when the shape is right but the address is not allowed.
  std::function<std::unique_ptr<Knob>(const std::string& address)> make;
};
// Every knob kind, in tuner/knobs/kinds.def order. Each kind's file defines knob_kind_<prefix>().
const std::vector<KnobKind>& knob_kinds();
#define TUNECTL_KNOB_KIND(prefix) KnobKind knob_kind_##prefix();
#include "tuner/knobs/kinds.def"
#undef TUNECTL_KNOB_KIND

// cgroup directories (tuner/knob_cgroup.cpp), for profiles that say "create": true. The address is
// a cgroup knob address ("cgroup:/work.slice:cpu.max"); the directory made is the one that knob
// writes into (on hybrid/legacy hosts: in the hierarchy of that file's controller). Only the last
// path component is created; its parent must exist inside the mount. `created` is false when the
// directory already existed (nothing to journal). The transaction journals "created" and calls
// remove_cgroup_dir on rollback.
struct CgroupDirOutcome {
  int err = 0;
  std::string message;
  bool created = false;
  std::string dir;  // kernel path of the directory
  bool ok() const { return err == 0; }
};
CgroupDirOutcome make_cgroup_dir(const Host& host, const std::string& address);
WriteOutcome remove_cgroup_dir(const Host& host, const std::string& address);

}  // namespace tunectl
