#include "tuner/knobs/section.h"

#include <fnmatch.h>

#include <algorithm>

#include "core/json_check.h"
#include "tuner/knobs/knob.h"

namespace tunectl {

const ProfileSection* find_section(const std::string& name) {
  for (const auto& k : knob_kinds())
    if (k.section && k.section->name == name) return k.section.get();
  return nullptr;
}

std::vector<const ProfileSection*> profile_sections() {
  std::vector<const ProfileSection*> out;
  for (const auto& k : knob_kinds())
    if (k.section) out.push_back(k.section.get());
  return out;
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

bool is_setting(const json& item) { return item.is_object() && item.contains("value"); }

Setting setting_of(const json& item, const std::string& pointer) {
  auto str = [&](const char* key) {
    return item.contains(key) && item[key].is_string() ? item[key].get<std::string>() : std::string();
  };
  return Setting{setting_text(item["value"]), str("why"), str("source"), pointer};
}

std::function<void(const json&, PlanSink&)> keyed_collector(const std::string& prefix, const std::string& section) {
  return [prefix, section](const json& sec, PlanSink& sink) {
    for (const auto& [key, s] : sec.items())
      sink.add(prefix + ":" + key, setting_of(s, "/" + section + "/" + pointer_token(key)));
  };
}

std::vector<const NicInfo*> nics_matching(const Snapshot& snap, const std::vector<std::string>& globs) {
  std::vector<const NicInfo*> out;
  if (!snap.nics) return out;
  for (const auto& n : *snap.nics) {
    if (n.is_virtual) continue;
    for (const auto& g : globs)
      if (fnmatch(g.c_str(), n.name.c_str(), 0) == 0) {
        out.push_back(&n);
        break;
      }
  }
  std::sort(out.begin(), out.end(), [](const NicInfo* a, const NicInfo* b) { return natural_less(a->name, b->name); });
  return out;
}

bool is_provenance_key(const std::string& key) { return key == "why" || key == "source" || key == "when"; }

void check_nic_globs(const json& v, const std::string& at) {
  constexpr size_t kMaxGlobs = 256;
  if (!v.is_array() || v.empty() || v.size() > kMaxGlobs)
    throw JsonError(at, "must be a list of 1 to " + std::to_string(kMaxGlobs) + " interface names or globs");
  for (size_t i = 0; i < v.size(); ++i)
    json_check::check_name(v[i].is_string() ? v[i].get<std::string>() : v[i].dump(),
                           json_check::sub(at, std::to_string(i)), "interface glob", ".*?[]!:", 64);
}

void canonical_targets(const json& v, const std::string& at, json& out) {
  out["nics"] = json::array({"*"});
  out["cpus"] = "housekeeping";
  if (v.contains("nics")) {
    check_nic_globs(v["nics"], json_check::sub(at, "nics"));
    out["nics"] = v["nics"];
  }
  if (v.contains("cpus")) {
    check_cpus_spec(v["cpus"], json_check::sub(at, "cpus"));
    out["cpus"] = v["cpus"];
  }
}

void check_cpus_spec(const json& v, const std::string& at) {
  if (!v.is_string()) throw JsonError(at, "must be \"housekeeping\", \"all\" or a cpulist, got " + v.dump());
  const std::string s = v.get<std::string>();
  if (s != "housekeeping" && s != "all") json_check::check_cpulist(s, at);
}

}  // namespace tunectl
