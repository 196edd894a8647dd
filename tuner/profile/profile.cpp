#include "tuner/profile/profile.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>

#include "core/errors.h"
#include "core/file_io.h"
#include "tuner/profile/conditions.h"
#include "tuner/profile/profile_schema.h"
#include "core/sha256.h"
#include "core/strict_json.h"

namespace tunectl {
namespace {

// Resolved settings plus, for each item, the file it came from.
struct Layer {
  json body = json::object();
  std::map<std::string, std::string> origins;
};

struct Loader {
  std::vector<std::string> search_dirs;
  std::vector<std::string> stack;  // canonical files being resolved, outermost first
  std::vector<std::string> files;  // merge order
};

std::string dir_of(const std::string& file) {
  auto slash = file.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : file.substr(0, slash));
}

std::string stem_of(const std::string& file) {
  std::string base = file.substr(file.rfind('/') == std::string::npos ? 0 : file.rfind('/') + 1);
  if (base.size() > 5 && base.compare(base.size() - 5, 5, ".json") == 0) base.resize(base.size() - 5);
  return base;
}

std::string canonical_path(const std::string& file) {
  char buf[PATH_MAX];
  return ::realpath(file.c_str(), buf) ? std::string(buf) : file;
}

bool is_regular_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The whole file, refusing anything that is not a regular file or is too large to be a profile.
std::string read_profile_file(const std::string& path) {
  ReadResult r = read_regular_file(path, kMaxProfileBytes);
  if (r.ok) return r.data;
  if (r.err == EFBIG) throw ProfileError(path + ": larger than 1 MiB; not a profile");
  throw ProfileError(r.error);
}

[[noreturn]] void fail(const std::string& file, const std::string& pointer, const std::string& reason) {
  throw ProfileError(file + ": " + (pointer.empty() ? "" : pointer + ": ") + reason);
}

bool under(const std::string& pointer, const std::string& prefix) {
  return pointer == prefix || pointer.rfind(prefix + "/", 0) == 0;
}

void erase_origins(Layer& l, const std::string& prefix) {
  for (auto it = l.origins.begin(); it != l.origins.end();)
    it = under(it->first, prefix) ? l.origins.erase(it) : std::next(it);
}

// Every item of a file's own body comes from that file.
Layer own_layer(const json& body, const std::string& file) {
  Layer l;
  l.body = body;
  for (const auto& [sec, v] : body.items()) {
    const std::string sp = "/" + sec;
    l.origins[sp] = file;
    const ProfileSection* section = find_section(sec);
    if (!section || section->shape == SectionShape::kPolicy || !v.is_object()) continue;
    for (const auto& [key, item] : v.items()) {
      const std::string kp = sp + "/" + pointer_token(key);
      l.origins[kp] = file;
      if (section->shape == SectionShape::kGrouped && item.is_object())
        for (const auto& [field, x] : item.items()) {
          (void)x;
          l.origins[kp + "/" + pointer_token(field)] = file;
        }
    }
  }
  return l;
}

// Later wins: keyed sections merge per setting, grouped ones per field of each group; policies
// and verify are replaced whole, since half of one policy and half of another is never what
// anyone meant. null removes.
void merge(Layer& acc, const Layer& top) {
  for (const auto& [sec, v] : top.body.items()) {
    const std::string sp = "/" + sec;
    auto origin = [&](const std::string& p) { return top.origins.count(p) ? top.origins.at(p) : std::string(); };
    if (v.is_null()) {
      acc.body.erase(sec);
      erase_origins(acc, sp);
      continue;
    }
    const ProfileSection* section = find_section(sec);
    if (!section || section->shape == SectionShape::kPolicy) {
      acc.body[sec] = v;
      erase_origins(acc, sp);
      acc.origins[sp] = origin(sp);
      continue;
    }
    json& dst = acc.body[sec];
    if (!dst.is_object()) dst = json::object();
    if (!acc.origins.count(sp)) acc.origins[sp] = origin(sp);
    const bool two_level = section->shape == SectionShape::kGrouped;
    for (const auto& [key, item] : v.items()) {
      const std::string kp = sp + "/" + pointer_token(key);
      if (item.is_null()) {
        dst.erase(key);
        erase_origins(acc, kp);
        continue;
      }
      if (!two_level || !dst.contains(key)) {
        dst[key] = json::object();
        erase_origins(acc, kp);
        if (!two_level) {
          dst[key] = item;
          acc.origins[kp] = origin(kp);
          continue;
        }
      }
      acc.origins[kp] = origin(kp);
      for (const auto& [field, x] : item.items()) {
        const std::string fp = kp + "/" + pointer_token(field);
        if (x.is_null()) {
          dst[key].erase(field);
          erase_origins(acc, fp);
        } else {
          dst[key][field] = x;
          acc.origins[fp] = origin(fp);
        }
      }
    }
  }
}

std::optional<std::string> find_profile(const std::string& name, const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    const std::string p = d + "/" + name + ".json";
    if (is_regular_file(p)) return p;
  }
  return std::nullopt;
}

Layer resolve(const std::string& file, const std::string& text, Loader& ld, ProfileDoc* top_doc) {
  ProfileDoc doc;
  try {
    doc = canonical_profile(parse_strict_json(text, kMaxProfileDepth));
  } catch (const JsonError& e) {
    fail(file, e.pointer, e.what());
  }
  const std::string self = canonical_path(file);
  ld.stack.push_back(self);
  Layer acc;
  for (size_t i = 0; i < doc.extends.size(); ++i) {
    const std::string at = "/extends/" + std::to_string(i);
    const std::string& name = doc.extends[i];
    // Siblings first, so a user's profiles can extend each other; then the built-in dirs.
    std::vector<std::string> dirs = {dir_of(file)};
    dirs.insert(dirs.end(), ld.search_dirs.begin(), ld.search_dirs.end());
    auto path = find_profile(name, dirs);
    if (!path) fail(file, at, "unknown profile '" + name + "'");
    const std::string canon = canonical_path(*path);
    auto cyc = std::find(ld.stack.begin(), ld.stack.end(), canon);
    if (cyc != ld.stack.end()) {
      std::string chain;
      for (auto it = cyc; it != ld.stack.end(); ++it) chain += stem_of(*it) + " -> ";
      fail(file, at, "extends cycle: " + chain + name);
    }
    if (ld.stack.size() >= kMaxExtends) fail(file, at, "extends chain deeper than " + std::to_string(kMaxExtends));
    Layer parent = resolve(*path, read_profile_file(*path), ld, nullptr);
    merge(acc, parent);
  }
  merge(acc, own_layer(doc.body, file));
  ld.stack.pop_back();
  ld.files.push_back(file);
  if (top_doc) *top_doc = std::move(doc);
  return acc;
}

// Drops the settings whose "when" fails (recording why) and the "when" keys of the rest.
json evaluate_item(const json& item, const std::string& pointer, const HostFacts& facts,
                   std::vector<Excluded>& excluded) {
  if (!item.is_object() || !item.contains("when")) return item;
  if (auto why = condition_fails(item["when"], facts)) {
    excluded.push_back({pointer, *why});
    return json();
  }
  json out = item;
  out.erase("when");
  return out;
}

}  // namespace

std::vector<std::string> default_profile_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("TUNECTL_PROFILE_DIR"); env && *env) dirs.push_back(env);
  dirs.push_back(TUNECTL_PROFILE_DIR);
  dirs.push_back(TUNECTL_SOURCE_PROFILE_DIR);
  return dirs;
}

Profile load_profile_from_text(const std::string& text, const std::string& file,
                               const std::vector<std::string>& search_dirs) {
  if (text.size() > kMaxProfileBytes) throw ProfileError(file + ": larger than 1 MiB; not a profile");
  Loader ld{search_dirs, {}, {}};
  ProfileDoc doc;
  Layer l = resolve(file, text, ld, &doc);
  Profile p;
  p.name = stem_of(file);
  p.path = file;
  p.description = doc.description;
  p.files = ld.files;
  p.resolved = std::move(l.body);
  p.origins = std::move(l.origins);
  p.digest = sha256_hex(p.resolved.dump());
  return p;
}

Profile load_profile(const std::string& name_or_path, const std::vector<std::string>& search_dirs) {
  std::string path;
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".json") == 0);
  if (is_path) {
    path = name_or_path;
  } else if (!valid_profile_name(name_or_path)) {
    throw ProfileError("'" + name_or_path + "': not a profile name or a path to a .json file");
  } else if (auto found = find_profile(name_or_path, search_dirs)) {
    path = *found;
  } else {
    std::string names;
    for (const auto& n : list_profiles(search_dirs)) names += (names.empty() ? "" : ", ") + n;
    throw ProfileError("unknown profile '" + name_or_path + "' (built-in: " + (names.empty() ? "none found" : names) + ")");
  }
  return load_profile_from_text(read_profile_file(path), path, search_dirs);
}

std::vector<std::string> list_profiles(const std::vector<std::string>& search_dirs) {
  std::set<std::string> names;
  for (const auto& d : search_dirs) {
    DIR* dir = ::opendir(d.c_str());
    if (!dir) continue;
    while (auto* e = ::readdir(dir)) {
      std::string f = e->d_name;
      if (f.size() <= 5 || f.compare(f.size() - 5, 5, ".json") != 0) continue;
      if (valid_profile_name(stem_of(f)) && is_regular_file(d + "/" + f)) names.insert(stem_of(f));
    }
    ::closedir(dir);
  }
  return {names.begin(), names.end()};
}

EffectiveProfile evaluate_profile(const Profile& profile, const Snapshot& snap) {
  const HostFacts facts = host_facts(snap);
  EffectiveProfile e;
  e.settings = json::object();
  for (const auto& [sec, v] : profile.resolved.items()) {
    const std::string sp = "/" + sec;
    const ProfileSection* section = find_section(sec);
    if (!section || section->shape == SectionShape::kPolicy) {
      json item = evaluate_item(v, sp, facts, e.excluded);
      if (!item.is_null()) e.settings[sec] = item;
      continue;
    }
    json out = json::object();
    for (const auto& [key, item] : v.items()) {
      const std::string kp = sp + "/" + pointer_token(key);
      if (section->shape == SectionShape::kKeyed) {
        json s = evaluate_item(item, kp, facts, e.excluded);
        if (!s.is_null()) out[key] = s;
        continue;
      }
      // A group-level "when" drops the whole group, flags included.
      json group = evaluate_item(item, kp, facts, e.excluded);
      if (group.is_null()) continue;
      json g = json::object();
      for (const auto& [field, s] : group.items()) {
        json x = s.is_object() ? evaluate_item(s, kp + "/" + pointer_token(field), facts, e.excluded) : s;
        if (!x.is_null()) g[field] = x;
      }
      out[key] = g;
    }
    e.settings[sec] = out;
  }
  return e;
}

json evaluated_profile_json(const Profile& p, const Snapshot& snap) {
  EffectiveProfile e = evaluate_profile(p, snap);
  json j = profile_json(p);
  j["root"] = snap.host.root;
  j["effective"] = e.settings;
  j["excluded"] = e.excluded;
  j["settings"] = count_settings(p.resolved);
  j["applicable"] = count_settings(e.settings);
  return j;
}

json profile_json(const Profile& p) {
  return {{"name", p.name}, {"path", p.path}, {"description", p.description}, {"files", p.files},
          {"digest", p.digest}, {"resolved", p.resolved}};
}

}  // namespace tunectl
