// The profile schema: validates one profile file's document and returns its canonical form.
//
//   {"description": "...", "extends": ["balanced"],
//    "sysctl":  {"when": COND, "source": "...", "<dotted.name>": SETTING, ...},
//    "thp":     {"enabled": SETTING, "khugepaged/defrag": SETTING, ...},
//    "nic":     {"<ifname glob>": {"channels.combined" | "rings.rx" | "coalesce.rx_usecs": SETTING}},
//    "cgroups": {"/work.slice": {"create": true, "cpu.max": SETTING, "cpu.max.burst": SETTING}},
//    "irq":     POLICY (numa-local | spread | pin), "rps": {...}, "xps": {...},
//    "verify":  {"effects": true, "bench": [{"suite": "tcp_rr", "expect": "improved"}]}}
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

// The bytes written for a setting's value: integers in decimal, strings as they are, lists of
// integers joined by single spaces ("4096 131072 6291456").
std::string setting_text(const json& value);

// Sections whose settings merge key by key (later file wins); the others are replaced whole.
bool is_keyed_section(const std::string& section);

}  // namespace tunectl
