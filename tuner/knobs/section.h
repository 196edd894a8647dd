// Profile sections: the part of a profile a knob kind owns ("sysctl", "nic", "cgroups", "irq",
// ...). A kind declares its section in its own file (KnobKind::section): the section's shape, how
// its keys are checked, which knob address each setting becomes, and its planner collector. The
// schema (tuner/profile/profile_schema.cpp), the extends merge and condition evaluation
// (tuner/profile/profile.cpp) and the planner (tuner/plan/planner.cpp) iterate over the sections;
// none of them names a section.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/parse.h"
#include "probes/snapshot.h"

namespace tunectl {

// Every SETTING below is a scalar or {"value", "why", "source", "when"}; see profile_schema.h.
enum class SectionShape {
  kKeyed,    // {"<key>": SETTING}: merged key by key over extends (sysctl, thp)
  kGrouped,  // {"<group>": {"<field>": SETTING, "why"|"source"|"when": ..., flags}}: merged field
             // by field (nic: group = interface glob; cgroups: group = cgroup path)
  kPolicy,   // one policy object, replaced whole by a child profile (irq, rps, xps)
};

// One setting of an evaluated profile: the bytes to write and where they come from.
struct Setting {
  std::string value, why, source;
  std::string pointer;  // JSON pointer in the resolved profile, for errors and notes
};

// A row of the plan's IRQ placement table (the irq section's collector fills them; the planner
// adds each knob's status).
struct IrqMapEntry {
  int irq = 0;
  std::string nic;
  std::optional<int> queue;
  std::string kind;  // rx, tx, txrx
  std::string cpus;
  std::string status, reason;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(IrqMapEntry, irq, nic, queue, kind, cpus, status, reason)

// What a collector may do while a plan is made. Implemented by the planner.
class PlanSink {
 public:
  virtual ~PlanSink() = default;
  virtual const Host& host() const = 0;
  virtual const Snapshot& snapshot() const = 0;
  // The knob at `address` should hold s.value. The same address from two places: the later wins.
  virtual void add(const std::string& address, const Setting& s) = 0;
  // A knob the profile asks for that this host cannot take (a managed IRQ), with the reason.
  virtual void skip(const std::string& address, const Setting& s, const std::string& reason) = 0;
  virtual void note(const std::string& text) = 0;
  // Something the profile asks for that this host will silently not get (a glob matching no NIC):
  // shown as a warning, a failure under --strict.
  virtual void warn(const std::string& text) = 0;
  virtual void irq_row(const IrqMapEntry& row) = 0;
  // Whether snapshot area `area` was probed; otherwise warns that `what` was not planned.
  virtual bool need(const std::string& area, const std::string& what) = 0;
  // A profile error only the host reveals (a cgroup path through a symlink): throws ProfileError
  // naming the file the item at `pointer` came from.
  [[noreturn]] virtual void profile_error(const std::string& pointer, const std::string& reason) const = 0;
};

struct ProfileSection {
  std::string name;  // the profile key: "sysctl"
  SectionShape shape = SectionShape::kKeyed;
  // kKeyed / kGrouped: checks a key or group name; throws JsonError.
  std::function<void(const std::string& key, const std::string& at)> check_key;
  // kGrouped: checks a field name inside a group; throws JsonError.
  std::function<void(const std::string& field, const std::string& at)> check_field;
  // kKeyed: the knob address of (key, ""); kGrouped: of (group, field). Used to validate every
  // value when the profile loads; a placeholder may stand for what only the host can tell.
  std::function<std::string(const std::string& key, const std::string& field)> address;
  // kGrouped: boolean group-level flags that are not settings (cgroups: "create").
  std::vector<std::string> group_flags;
  // kPolicy: validates the object (its why/source/when are the schema's) and returns its
  // canonical form with defaults filled in; throws JsonError.
  std::function<json(const json& policy, const std::string& at)> canonical_policy;
  // Adds the section's knobs for the host. `section` is canonical, conditions already applied.
  std::function<void(const json& section, PlanSink& sink)> collect;
};

// The section named `name`, or nullptr.
const ProfileSection* find_section(const std::string& name);
// Every section, in kinds.def order of the kinds that own them.
std::vector<const ProfileSection*> profile_sections();

// The bytes written for a setting's value: integers in decimal, strings as they are, lists of
// integers joined by single spaces ("4096 131072 6291456"); "" for anything else.
std::string setting_text(const json& value);

// Setting fields of a canonical group ({"create": true, "why": "...", "cpu.max": {...}}): those
// holding an object with a "value".
bool is_setting(const json& item);
// A canonical setting as the planner takes it; `pointer` names it.
Setting setting_of(const json& item, const std::string& pointer);
// The collector of a kKeyed section: one knob "<prefix>:<key>" per key.
std::function<void(const json&, PlanSink&)> keyed_collector(const std::string& prefix, const std::string& section);

// Physical NICs of the snapshot whose name matches one of the globs, in natural order.
std::vector<const NicInfo*> nics_matching(const Snapshot& snap, const std::vector<std::string>& globs);

// The profile keys shared by every policy object and group: why, source, when.
bool is_provenance_key(const std::string& key);

// Schema pieces policies share; each throws JsonError.
// "nics": a list of 1..256 interface names or globs.
void check_nic_globs(const json& v, const std::string& at);
// "cpus": "housekeeping" | "all" | a cpulist.
void check_cpus_spec(const json& v, const std::string& at);
// A placement policy's targets: "nics" (default every NIC) and "cpus" (default housekeeping),
// checked and copied into `out`.
void canonical_targets(const json& v, const std::string& at, json& out);

}  // namespace tunectl
