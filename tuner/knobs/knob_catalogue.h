// The knob catalogue: every knob kind (its address grammar, what it writes, its apply phase and
// profile section) and every allowlisted sysctl (range, unit, kernel default, documentation), as
// `tunectl knobs` and Python's tunectl.knobs() show them. Built from the registry (kinds.def) and
// the sysctl table (knob_sysctl.cpp), so it cannot drift from what make_knob accepts.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"

namespace tunectl {

struct KnobKindInfo {
  std::string prefix;      // "sysctl"
  std::string address;     // grammar with an example: "sysctl:<dotted.name>, e.g. ..."
  std::string writes;      // the kernel file(s) or interface it changes
  std::string netns;       // "per sysctl", "no", "the interface's namespace"
  std::string phase;       // ApplyPhase: "containers", ..., "memory"
  std::string kernel_dir;  // where its files live ("" when not file-backed)
  std::string section;     // the profile section it owns ("" when none)
  std::string shape;       // that section's shape: "keyed", "grouped", "policy" ("" when none)
};

struct SysctlInfo {
  std::string name;      // "net.ipv4.tcp_keepalive_time"
  std::string path;      // "/proc/sys/net/ipv4/tcp_keepalive_time"
  bool per_netns = false;
  int fields = 1;        // values in one setting (tcp_rmem: 3)
  std::string field_names;  // "min default max" for multi-value ones
  std::string range;     // "1..32767", "≥ 1", or what a name must be
  std::string unit;
  std::string default_value;  // the kernel's default and where it comes from
  std::string doc;       // the kernel documentation of record
  std::string missing;   // why its file can be absent, beyond "not this kernel" ("" when nothing more)
};

// Every allowlisted sysctl, in table order (defined in knob_sysctl.cpp).
std::vector<SysctlInfo> sysctl_catalogue();
// Every knob kind, in kinds.def order.
std::vector<KnobKindInfo> knob_kind_catalogue();

// {"schema": "tunectl.knobs/1", "kinds": [...], "sysctls": [...]}: `tunectl knobs --json`.
json knob_catalogue_json();

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(KnobKindInfo, prefix, address, writes, netns, phase, kernel_dir,
                                                section, shape)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SysctlInfo, name, path, per_netns, fields, field_names, range, unit,
                                                default_value, doc, missing)

}  // namespace tunectl
