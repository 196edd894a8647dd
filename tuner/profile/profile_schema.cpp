#include "tuner/profile/profile_schema.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "core/errors.h"
#include "core/parse.h"
#include "tuner/profile/conditions.h"
#include "tuner/knobs/knob.h"
#include "core/strict_json.h"

namespace tunectl {
namespace {

constexpr size_t kMaxText = 1000;       // why / source / description
constexpr size_t kMaxValueText = 4096;  // a value's bytes
constexpr size_t kMaxGlobs = 256;
constexpr size_t kMaxCgroupPath = 256;
constexpr int kMaxIrq = 1 << 20;
// ethtool and RPS knobs are per interface; the schema validates their values as if for this one.
const char* kPlaceholderIf = "eth0";

const std::set<std::string> kSections = {"sysctl", "thp", "irq", "rps", "xps", "nic", "cgroups", "verify"};

std::string known(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

std::string sub(const std::string& at, const std::string& key) { return at + "/" + pointer_token(key); }

// Rejects keys outside `allowed` with the list of known ones.
void only_keys(const json& obj, const std::string& at, const std::vector<std::string>& allowed) {
  for (const auto& [k, v] : obj.items()) {
    (void)v;
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
      throw JsonError(sub(at, k), "unknown key '" + k + "' (known: " + known(allowed) + ")");
  }
}

void require_object(const json& v, const std::string& at) {
  if (!v.is_object()) throw JsonError(at, "must be an object, got " + v.dump());
}

std::string text_field(const json& v, const std::string& at) {
  if (!v.is_string()) throw JsonError(at, "must be a string, got " + v.dump());
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() > kMaxText) throw JsonError(at, "longer than " + std::to_string(kMaxText) + " characters");
  return s;
}

bool bool_field(const json& v, const std::string& at) {
  if (!v.is_boolean()) throw JsonError(at, "must be true or false, got " + v.dump());
  return v.get<bool>();
}

bool has_control_chars(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Identifiers that become part of a knob address: a strict character set, no "..".
void check_name(const std::string& name, const std::string& at, const std::string& what,
                const std::string& extra_chars, size_t max_len) {
  if (name.empty() || name.size() > max_len)
    throw JsonError(at, what + " must be 1 to " + std::to_string(max_len) + " characters");
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || extra_chars.find(c) != std::string::npos))
      throw JsonError(at, what + " '" + name + "' contains a character that is not allowed ('" +
                              std::string(1, c) + "')");
  }
  if (name.find("..") != std::string::npos || name.front() == '.' || name.front() == '/')
    throw JsonError(at, what + " '" + name + "' is not a plain name");
}

std::unique_ptr<Knob> knob_for(const std::string& address, const std::string& at) {
  try {
    return make_knob(address);
  } catch (const InputError& e) {
    throw JsonError(at, e.what());
  }
}

// SETTING -> canonical {"value", "why", "source", "when"}; checks the value against the knob.
json canonical_setting(const json& v, const std::string& at, const std::string& address,
                       const json& section_when, const std::string& section_source) {
  json out = json::object();
  std::string value_at = at;
  if (v.is_object()) {
    only_keys(v, at, {"value", "why", "source", "when"});
    if (!v.contains("value")) throw JsonError(at, "missing \"value\"");
    out["value"] = v["value"];
    value_at = sub(at, "value");
    if (v.contains("why")) out["why"] = text_field(v["why"], sub(at, "why"));
    if (v.contains("source")) out["source"] = text_field(v["source"], sub(at, "source"));
    if (v.contains("when")) validate_condition(v["when"], sub(at, "when"));
  } else {
    out["value"] = v;
  }
  if (!out.contains("source") && !section_source.empty()) out["source"] = section_source;
  json when = v.is_object() && v.contains("when") ? v["when"] : json();
  if (!section_when.is_null()) when = when.is_null() ? section_when : json{{"all", json::array({section_when, when})}};
  if (!when.is_null()) out["when"] = when;

  const std::string text = setting_text(out["value"]);
  if (text.empty() && !out["value"].is_string())
    throw JsonError(value_at, "must be an integer, a string or a list of integers, got " + out["value"].dump());
  if (text.size() > kMaxValueText) throw JsonError(value_at, "value longer than " + std::to_string(kMaxValueText) + " bytes");
  if (has_control_chars(text)) throw JsonError(value_at, "value contains control characters");
  auto knob = knob_for(address, at);
  if (auto why = knob->validate(text)) throw JsonError(value_at, *why);
  return out;
}

// The section-level defaults every setting inherits.
struct SectionDefaults {
  json when;
  std::string source;
};
SectionDefaults section_defaults(const json& sec, const std::string& at) {
  SectionDefaults d;
  if (sec.contains("when")) {
    validate_condition(sec["when"], sub(at, "when"));
    d.when = sec["when"];
  }
  if (sec.contains("source")) d.source = text_field(sec["source"], sub(at, "source"));
  return d;
}

bool is_section_meta(const std::string& key) { return key == "when" || key == "source"; }

json canonical_keyed(const json& sec, const std::string& at, const std::string& what,
                     const std::string& extra_chars,
                     const std::function<std::string(const std::string&)>& address) {
  require_object(sec, at);
  SectionDefaults d = section_defaults(sec, at);
  json out = json::object();
  for (const auto& [key, v] : sec.items()) {
    if (is_section_meta(key)) continue;
    const std::string where = sub(at, key);
    check_name(key, where, what, extra_chars, 128);
    out[key] = v.is_null() ? json() : canonical_setting(v, where, address(key), d.when, d.source);
  }
  return out;
}

void check_globs(const json& v, const std::string& at) {
  if (!v.is_array() || v.empty() || v.size() > kMaxGlobs)
    throw JsonError(at, "must be a list of 1 to " + std::to_string(kMaxGlobs) + " interface names or globs");
  for (size_t i = 0; i < v.size(); ++i)
    check_name(v[i].is_string() ? v[i].get<std::string>() : v[i].dump(), sub(at, std::to_string(i)),
               "interface glob", ".*?[]!:", 64);
}

void check_cpulist(const std::string& text, const std::string& at) {
  auto p = parse_cpulist(text);
  if (!p.ok()) throw JsonError(at, p.error);
  if (p.value->empty()) throw JsonError(at, "empty cpulist");
}

// "cpus": "housekeeping" | "all" | "<cpulist>".
void check_cpus_spec(const json& v, const std::string& at) {
  if (!v.is_string()) throw JsonError(at, "must be \"housekeeping\", \"all\" or a cpulist, got " + v.dump());
  const std::string s = v.get<std::string>();
  if (s != "housekeeping" && s != "all") check_cpulist(s, at);
}

// Common to the policy objects: why/source/when; fills defaults for the rest.
json canonical_common(const json& v, const std::string& at, json out) {
  if (v.contains("why")) out["why"] = text_field(v["why"], sub(at, "why"));
  if (v.contains("source")) out["source"] = text_field(v["source"], sub(at, "source"));
  if (v.contains("when")) {
    validate_condition(v["when"], sub(at, "when"));
    out["when"] = v["when"];
  }
  return out;
}

json canonical_irq(const json& v, const std::string& at) {
  require_object(v, at);
  if (!v.contains("policy")) throw JsonError(at, "missing \"policy\" (numa-local, spread or pin)");
  const json& pol = v["policy"];
  const std::string pat = sub(at, "policy");
  if (!pol.is_string()) throw JsonError(pat, "must be a string, got " + pol.dump());
  const std::string policy = pol.get<std::string>();
  json out = {{"policy", policy}};
  if (policy == "pin") {
    only_keys(v, at, {"policy", "map", "why", "source", "when"});
    if (!v.contains("map")) throw JsonError(at, "missing \"map\" (IRQ number or <nic>:<queue> -> cpulist)");
    const json& map = v["map"];
    const std::string mat = sub(at, "map");
    require_object(map, mat);
    if (map.empty() || map.size() > kMaxProfileSettings)
      throw JsonError(mat, "must map 1 to " + std::to_string(kMaxProfileSettings) + " IRQs or queues");
    for (const auto& [key, cpus] : map.items()) {
      const std::string where = sub(mat, key);
      auto colon = key.find(':');
      if (colon == std::string::npos) {
        auto n = parse_int(key);
        if (!n || *n < 0 || *n > kMaxIrq)
          throw JsonError(where, "must be an IRQ number (0-" + std::to_string(kMaxIrq) + ") or <nic>:<queue>");
      } else {
        check_name(key.substr(0, colon), where, "interface name", ".", 15);
        auto q = parse_int(key.substr(colon + 1));
        if (!q || *q < 0 || *q > 65535) throw JsonError(where, "queue after ':' must be a number 0-65535");
      }
      if (!cpus.is_string()) throw JsonError(where, "must be a cpulist string, got " + cpus.dump());
      check_cpulist(cpus.get<std::string>(), where);
    }
    out["map"] = map;
  } else if (policy == "numa-local" || policy == "spread") {
    std::vector<std::string> keys = {"policy", "nics", "cpus", "avoid_smt_siblings", "exclude_isolated", "why", "source", "when"};
    if (policy == "numa-local") keys.push_back("one_per_core");
    only_keys(v, at, keys);
    out["nics"] = json::array({"*"});
    if (v.contains("nics")) {
      check_globs(v["nics"], sub(at, "nics"));
      out["nics"] = v["nics"];
    }
    out["cpus"] = "housekeeping";
    if (v.contains("cpus")) {
      check_cpus_spec(v["cpus"], sub(at, "cpus"));
      out["cpus"] = v["cpus"];
    }
    for (const char* flag : {"one_per_core", "avoid_smt_siblings", "exclude_isolated"}) {
      if (policy == "spread" && std::string(flag) == "one_per_core") continue;
      out[flag] = v.contains(flag) ? bool_field(v[flag], sub(at, flag)) : true;
    }
  } else {
    throw JsonError(pat, "unknown policy '" + policy + "' (known: numa-local, spread, pin)");
  }
  return canonical_common(v, at, out);
}

// rps / xps: which NICs, which CPUs; rps also sizes the RFS flow tables.
json canonical_steering(const json& v, const std::string& at, bool rps) {
  require_object(v, at);
  std::vector<std::string> keys = {"nics", "cpus", "numa_local", "exclude_isolated", "why", "source", "when"};
  if (rps) {
    keys.push_back("flow_entries");
    keys.push_back("flow_cnt");
  }
  only_keys(v, at, keys);
  json out = {{"nics", json::array({"*"})}, {"cpus", "housekeeping"}, {"numa_local", !rps}, {"exclude_isolated", true}};
  if (v.contains("nics")) {
    check_globs(v["nics"], sub(at, "nics"));
    out["nics"] = v["nics"];
  }
  if (v.contains("cpus")) {
    check_cpus_spec(v["cpus"], sub(at, "cpus"));
    out["cpus"] = v["cpus"];
  }
  for (const char* flag : {"numa_local", "exclude_isolated"})
    if (v.contains(flag)) out[flag] = bool_field(v[flag], sub(at, flag));
  if (v.contains("flow_entries")) {
    const std::string where = sub(at, "flow_entries");
    if (!v["flow_entries"].is_number_integer()) throw JsonError(where, "must be an integer, got " + v["flow_entries"].dump());
    auto knob = knob_for("sysctl:net.core.rps_sock_flow_entries", where);
    if (auto why = knob->validate(setting_text(v["flow_entries"]))) throw JsonError(where, *why);
    out["flow_entries"] = v["flow_entries"];
  }
  if (v.contains("flow_cnt")) {
    const std::string where = sub(at, "flow_cnt");
    if (!v["flow_cnt"].is_number_integer()) throw JsonError(where, "must be an integer, got " + v["flow_cnt"].dump());
    auto knob = knob_for(std::string("rps_flow:") + kPlaceholderIf + ":rx-0", where);
    if (auto why = knob->validate(setting_text(v["flow_cnt"]))) throw JsonError(where, *why);
    out["flow_cnt"] = v["flow_cnt"];
  }
  return canonical_common(v, at, out);
}

json canonical_nic(const json& sec, const std::string& at) {
  require_object(sec, at);
  SectionDefaults d = section_defaults(sec, at);
  json out = json::object();
  for (const auto& [glob, fields] : sec.items()) {
    if (is_section_meta(glob)) continue;
    const std::string gat = sub(at, glob);
    check_name(glob, gat, "interface glob", ".*?[]!:", 64);
    if (fields.is_null()) {
      out[glob] = nullptr;
      continue;
    }
    out[glob] = canonical_keyed(fields, gat, "ethtool setting", ".", [](const std::string& field) {
      return std::string("ethtool:") + kPlaceholderIf + ":" + field;
    });
    for (auto& [field, s] : out[glob].items()) {
      (void)field;
      if (s.is_null()) continue;
      if (!d.source.empty() && !s.contains("source")) s["source"] = d.source;
      if (!d.when.is_null()) s["when"] = s.contains("when") ? json{{"all", json::array({d.when, s["when"]})}} : d.when;
    }
  }
  return out;
}

void check_cgroup_path(const std::string& path, const std::string& at) {
  if (path.empty() || path.front() != '/')
    throw JsonError(at, "cgroup path must start with '/' (relative to the cgroup mount)");
  if (path.size() > kMaxCgroupPath)
    throw JsonError(at, "cgroup path longer than " + std::to_string(kMaxCgroupPath) + " characters");
  if (path == "/") throw JsonError(at, "the root cgroup has no CPU limits; name a group below it");
  size_t depth = 0, i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    const std::string comp = path.substr(i, j - i);
    if (comp.empty()) throw JsonError(at, "cgroup path has an empty component");
    if (comp == "." || comp == "..") throw JsonError(at, "cgroup path must not contain '" + comp + "' (path traversal)");
    check_name(comp, at, "cgroup path component", ".@", 128);
    if (++depth > 16) throw JsonError(at, "cgroup path deeper than 16 levels");
    i = j + 1;
  }
}

json canonical_cgroups(const json& sec, const std::string& at) {
  require_object(sec, at);
  SectionDefaults d = section_defaults(sec, at);
  json out = json::object();
  for (const auto& [path, group] : sec.items()) {
    if (is_section_meta(path)) continue;
    const std::string gat = sub(at, path);
    check_cgroup_path(path, gat);
    if (group.is_null()) {
      out[path] = nullptr;
      continue;
    }
    require_object(group, gat);
    // Group-level why/source/when apply to each of its settings; "create" is the group's own.
    json gwhen = d.when;
    if (group.contains("when")) {
      validate_condition(group["when"], sub(gat, "when"));
      gwhen = gwhen.is_null() ? group["when"] : json{{"all", json::array({gwhen, group["when"]})}};
    }
    std::string gsource = group.contains("source") ? text_field(group["source"], sub(gat, "source")) : d.source;
    std::string gwhy = group.contains("why") ? text_field(group["why"], sub(gat, "why")) : "";
    json g = json::object();
    // No default for "create": a child profile naming a group only to add a limit must not
    // override the create flag it inherited.
    if (group.contains("create")) g["create"] = bool_field(group["create"], sub(gat, "create"));
    for (const auto& [field, v] : group.items()) {
      if (field == "create" || field == "when" || field == "source" || field == "why") continue;
      const std::string fat = sub(gat, field);
      check_name(field, fat, "cgroup file", ".", 64);
      if (v.is_null()) {
        g[field] = nullptr;
        continue;
      }
      json s = canonical_setting(v, fat, "cgroup:" + path + ":" + field, gwhen, gsource);
      if (!s.contains("why") && !gwhy.empty()) s["why"] = gwhy;
      g[field] = s;
    }
    if (!gwhy.empty()) g["why"] = gwhy;
    if (!gsource.empty()) g["source"] = gsource;
    if (!gwhen.is_null()) g["when"] = gwhen;
    out[path] = g;
  }
  return out;
}

json canonical_verify(const json& v, const std::string& at) {
  require_object(v, at);
  only_keys(v, at, {"effects", "bench"});
  json out = {{"effects", true}, {"bench", json::array()}};
  if (v.contains("effects")) out["effects"] = bool_field(v["effects"], sub(at, "effects"));
  if (v.contains("bench")) {
    const std::string bat = sub(at, "bench");
    if (!v["bench"].is_array() || v["bench"].size() > 64) throw JsonError(bat, "must be a list of at most 64 benchmarks");
    for (size_t i = 0; i < v["bench"].size(); ++i) {
      const json& b = v["bench"][i];
      const std::string iat = sub(bat, std::to_string(i));
      require_object(b, iat);
      only_keys(b, iat, {"suite", "expect", "why"});
      if (!b.contains("suite") || !b["suite"].is_string()) throw JsonError(sub(iat, "suite"), "must be a benchmark suite name");
      check_name(b["suite"].get<std::string>(), sub(iat, "suite"), "suite", "", 64);
      const std::string expect = b.contains("expect") && b["expect"].is_string() ? b["expect"].get<std::string>() : "";
      if (expect != "improved" && expect != "no-regression")
        throw JsonError(sub(iat, "expect"), "must be \"improved\" or \"no-regression\"");
      json item = {{"suite", b["suite"]}, {"expect", expect}};
      if (b.contains("why")) item["why"] = text_field(b["why"], sub(iat, "why"));
      out["bench"].push_back(item);
    }
  }
  return out;
}

size_t count_settings(const json& body) {
  size_t n = 0;
  for (const auto& [section, sec] : body.items()) {
    if (!sec.is_object()) continue;
    if (section == "nic" || section == "cgroups") {
      for (const auto& [k, g] : sec.items()) n += g.is_object() ? g.size() : 1;
    } else if (section == "irq" && sec.contains("map")) {
      n += sec["map"].size();
    } else {
      n += sec.size();
    }
  }
  return n;
}

}  // namespace

bool valid_profile_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool is_keyed_section(const std::string& section) {
  return section == "sysctl" || section == "thp" || section == "nic" || section == "cgroups";
}

std::string setting_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  if (value.is_array() && !value.empty() &&
      std::all_of(value.begin(), value.end(), [](const json& x) { return x.is_number_integer(); })) {
    std::string out;
    for (const auto& x : value) out += (out.empty() ? "" : " ") + x.dump();
    return out;
  }
  return "";
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
    } else if (!kSections.count(key)) {
      throw JsonError(at, "unknown key '" + key +
                              "' (known: description, extends, sysctl, thp, irq, rps, xps, nic, cgroups, verify)");
    } else if (v.is_null()) {
      out.body[key] = nullptr;  // removes the inherited section
    } else if (key == "sysctl") {
      out.body[key] = canonical_keyed(v, at, "sysctl name", ".", [](const std::string& k) { return "sysctl:" + k; });
    } else if (key == "thp") {
      out.body[key] = canonical_keyed(v, at, "THP setting", "/", [](const std::string& k) { return "thp:" + k; });
    } else if (key == "irq") {
      out.body[key] = canonical_irq(v, at);
    } else if (key == "rps" || key == "xps") {
      out.body[key] = canonical_steering(v, at, key == "rps");
    } else if (key == "nic") {
      out.body[key] = canonical_nic(v, at);
    } else if (key == "cgroups") {
      out.body[key] = canonical_cgroups(v, at);
    } else {
      out.body[key] = canonical_verify(v, at);
    }
  }
  return out;
}

}  // namespace tunectl
