// The schema driver: top-level keys, section-level and group-level provenance (why/source/when),
// settings checked against their knobs, policies through their section's hook. Which sections
// exist and what their keys mean is declared by the knob kinds (tuner/knobs/section.h).
#include "tuner/profile/profile_schema.h"

#include <algorithm>
#include <cctype>

#include "core/errors.h"
#include "core/json_check.h"
#include "tuner/knobs/knob.h"
#include "tuner/profile/conditions.h"
#include "tuner/profile/verify_section.h"

namespace tunectl {
namespace {
using namespace json_check;

constexpr size_t kMaxValueText = 4096;  // a value's bytes

bool has_control_chars(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string known_top_keys() {
  std::string out = "description, extends";
  for (const auto* s : profile_sections()) out += ", " + s->name;
  return out + ", verify";
}

// "when" of an outer level combined with an inner one (both must hold).
json both(const json& outer, const json& inner) {
  if (outer.is_null()) return inner;
  if (inner.is_null()) return outer;
  return json{{"all", json::array({outer, inner})}};
}

// SETTING -> canonical {"value", "why", "source", "when"}; checks the value against the knob.
json canonical_setting(const json& v, const std::string& at, const std::string& address, const json& outer_when,
                       const std::string& outer_source, const std::string& outer_why) {
  json out = json::object();
  std::string value_at = at;
  json when;
  if (v.is_object()) {
    only_keys(v, at, {"value", "why", "source", "when"});
    if (!v.contains("value")) throw JsonError(at, "missing \"value\"");
    out["value"] = v["value"];
    value_at = sub(at, "value");
    if (v.contains("why")) out["why"] = text_field(v["why"], sub(at, "why"));
    if (v.contains("source")) out["source"] = text_field(v["source"], sub(at, "source"));
    if (v.contains("when")) {
      validate_condition(v["when"], sub(at, "when"));
      when = v["when"];
    }
  } else {
    out["value"] = v;
  }
  if (!out.contains("why") && !outer_why.empty()) out["why"] = outer_why;
  if (!out.contains("source") && !outer_source.empty()) out["source"] = outer_source;
  when = both(outer_when, when);
  if (!when.is_null()) out["when"] = when;

  const std::string text = setting_text(out["value"]);
  if (text.empty() && !out["value"].is_string())
    throw JsonError(value_at, "must be an integer, a string or a list of integers, got " + out["value"].dump());
  if (text.size() > kMaxValueText) throw JsonError(value_at, "value longer than " + std::to_string(kMaxValueText) + " bytes");
  if (has_control_chars(text)) throw JsonError(value_at, "value contains control characters");
  std::unique_ptr<Knob> knob;
  try {
    knob = make_knob(address);
  } catch (const InputError& e) {
    throw JsonError(at, e.what());
  }
  if (auto why = knob->validate(text)) throw JsonError(value_at, *why);
  return out;
}

// why/source/when of a section, group or policy object, validated.
struct Provenance {
  json when;
  std::string source, why;
};
Provenance provenance(const json& obj, const std::string& at, const Provenance& outer) {
  Provenance p = outer;
  if (obj.contains("when")) {
    validate_condition(obj["when"], sub(at, "when"));
    p.when = both(outer.when, obj["when"]);
  }
  if (obj.contains("source")) p.source = text_field(obj["source"], sub(at, "source"));
  if (obj.contains("why")) p.why = text_field(obj["why"], sub(at, "why"));
  return p;
}

json canonical_keyed(const ProfileSection& sec, const json& v, const std::string& at) {
  require_object(v, at);
  if (v.contains("why")) throw JsonError(sub(at, "why"), "a section has no \"why\"; give each setting its own");
  const Provenance p = provenance(v, at, {});
  json out = json::object();
  for (const auto& [key, item] : v.items()) {
    if (is_provenance_key(key)) continue;
    const std::string where = sub(at, key);
    sec.check_key(key, where);
    out[key] = item.is_null() ? json() : canonical_setting(item, where, sec.address(key, ""), p.when, p.source, "");
  }
  return out;
}

json canonical_group(const ProfileSection& sec, const std::string& group, const json& v, const std::string& at,
                     const Provenance& outer) {
  require_object(v, at);
  const Provenance p = provenance(v, at, outer);
  json out = json::object();
  for (const auto& [field, item] : v.items()) {
    if (is_provenance_key(field)) continue;
    const std::string fat = sub(at, field);
    if (std::find(sec.group_flags.begin(), sec.group_flags.end(), field) != sec.group_flags.end()) {
      out[field] = bool_field(item, fat);
      continue;
    }
    sec.check_field(field, fat);
    out[field] = item.is_null() ? json() : canonical_setting(item, fat, sec.address(group, field), p.when, p.source, p.why);
  }
  // Kept on the group too: a group-level "when" also governs its flags (a cgroup's "create").
  if (!p.why.empty()) out["why"] = p.why;
  if (!p.source.empty()) out["source"] = p.source;
  if (!p.when.is_null()) out["when"] = p.when;
  return out;
}

json canonical_grouped(const ProfileSection& sec, const json& v, const std::string& at) {
  require_object(v, at);
  if (v.contains("why")) throw JsonError(sub(at, "why"), "a section has no \"why\"; give each group or setting its own");
  const Provenance p = provenance(v, at, {});
  json out = json::object();
  for (const auto& [group, g] : v.items()) {
    if (is_provenance_key(group)) continue;
    const std::string gat = sub(at, group);
    sec.check_key(group, gat);
    out[group] = g.is_null() ? json() : canonical_group(sec, group, g, gat, p);
  }
  return out;
}

json canonical_policy(const ProfileSection& sec, const json& v, const std::string& at) {
  require_object(v, at);
  json out = sec.canonical_policy(v, at);
  const Provenance p = provenance(v, at, {});
  if (!p.why.empty()) out["why"] = p.why;
  if (!p.source.empty()) out["source"] = p.source;
  if (!p.when.is_null()) out["when"] = p.when;
  return out;
}

json canonical_section(const ProfileSection& sec, const json& v, const std::string& at) {
  switch (sec.shape) {
    case SectionShape::kKeyed: return canonical_keyed(sec, v, at);
    case SectionShape::kGrouped: return canonical_grouped(sec, v, at);
    case SectionShape::kPolicy: return canonical_policy(sec, v, at);
  }
  return json();
}

}  // namespace

bool valid_profile_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

size_t count_settings(const json& body) {
  size_t n = 0;
  for (const auto& [name, v] : body.items()) {
    const ProfileSection* sec = find_section(name);
    if (!sec || !v.is_object()) continue;
    if (sec->shape == SectionShape::kPolicy) {
      ++n;
      continue;
    }
    for (const auto& [key, item] : v.items()) {
      if (is_provenance_key(key)) continue;
      if (sec->shape == SectionShape::kKeyed) {
        ++n;
        continue;
      }
      if (!item.is_object()) continue;
      for (const auto& [field, x] : item.items()) {
        (void)x;
        const auto& flags = sec->group_flags;
        if (!is_provenance_key(field) && std::find(flags.begin(), flags.end(), field) == flags.end()) ++n;
      }
    }
  }
  return n;
}

ProfileDoc canonical_profile(const json& doc) {
  require_object(doc, "");
  // Counted before any knob is built: a hostile file must not cost a knob per entry first.
  if (count_settings(doc) > kMaxProfileSettings)
    throw JsonError("", "more than " + std::to_string(kMaxProfileSettings) + " settings");
  ProfileDoc out;
  out.body = json::object();
  for (const auto& [key, v] : doc.items()) {
    const std::string at = sub("", key);
    const ProfileSection* sec = find_section(key);
    if (key == "description") {
      out.description = text_field(v, at);
    } else if (key == "extends") {
      if (!v.is_array()) throw JsonError(at, "must be a list of profile names, got " + v.dump());
      if (v.size() > kMaxExtends) throw JsonError(at, "more than " + std::to_string(kMaxExtends) + " profiles");
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string() || !valid_profile_name(v[i].get<std::string>()))
          throw JsonError(sub(at, std::to_string(i)),
                          "must be a profile name (letters, digits, '-', '_'), got " + v[i].dump());
        out.extends.push_back(v[i].get<std::string>());
      }
    } else if (key == "$schema") {
      text_field(v, at);  // for editors (profiles/profile.schema.json); not part of the profile
    } else if (!sec && key != "verify") {
      throw JsonError(at, "unknown key '" + key + "' (known: " + known_top_keys() + ")");
    } else if (v.is_null()) {
      out.body[key] = nullptr;  // removes the inherited section
    } else {
      out.body[key] = sec ? canonical_section(*sec, v, at) : canonical_verify(v, at);
    }
  }
  return out;
}

}  // namespace tunectl
