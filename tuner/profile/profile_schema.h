// The profile schema: validates one profile file's document and returns its canonical form.
//
//   {"description": "...", "extends": ["balanced"],
//    "sysctl":  {"when": COND, "source": "...", "<dotted.name>": SETTING, ...},
//    "thp":     {"enabled": SETTING, "khugepaged/defrag": SETTING, ...},
//    "nic":     {"<ifname glob>": {"channels.combined" | "rings.rx" | "coalesce.rx_usecs": SETTING}},
//    "cgroups": {"/work.slice": {"create": true, "cpu.max": SETTING, "cpu.max.burst": SETTING}},
//    "irq":     POLICY (numa-local | spread | pin), "rps": {...}, "xps": {...},
//    "verify":  {"effects": true, "bench": [{"bench": "tcp_rr", "metric": "rtt_p50_us", "expect": "improved"}]}}
//                                (tuner/profile/verify_section.h)
//   SETTING = scalar | {"value": scalar, "why": "...", "source": "...", "when": COND}
//
// Every setting maps to a knob address that make_knob accepts and whose validate() accepts the
// value, so a profile can never name an arbitrary path. null removes an inherited item.
// Canonical form: every setting is {"value", "why", "source", "when"?}; section-level "when" and
// "source" are pushed into each setting; policy defaults are filled in.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"
#include "tuner/knobs/section.h"

namespace tunectl {

// Sizes beyond these are hostile or mistaken, never a real profile.
constexpr size_t kMaxProfileBytes = 1 << 20;
constexpr size_t kMaxProfileDepth = 16;
constexpr size_t kMaxProfileSettings = 2048;
constexpr size_t kMaxExtends = 16;

struct ProfileDoc {
  std::vector<std::string> extends;
  std::string description;
  json body;  // canonical sections only
};

// Throws JsonError naming the JSON pointer.
ProfileDoc canonical_profile(const json& doc);

// Profile names (built-in or extended): letters, digits, '-', '_'; at most 64.
bool valid_profile_name(const std::string& name);

// Settings in a profile body (raw or canonical): each key of a keyed section, each setting field
// of a group, each policy as one (an IRQ pin map: one per entry). The size limit and the
// `settings`/`applicable` counts of `profiles show` both use it.
size_t count_settings(const json& body);

}  // namespace tunectl
