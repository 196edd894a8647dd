#include "tuner/profile/profile.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "core/file_io.h"
#include "tuner/profile/conditions.h"
#include "tuner/profile/profile_schema.h"
#include "core/sha256.h"
#include "core/strict_json.h"
#include "tuner/knobs/knob.h"
#include "tuner/knobs/section.h"

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
  std::vector<ExtendsConflict> conflicts;
};

std::string dir_of(const std::string& file) {
  auto slash = file.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : file.substr(0, slash));
}

// "<dict>": a profile that came as text, not from a file (load_profile_json_text).
bool in_memory_label(const std::string& file) { return !file.empty() && file.front() == '<' && file.back() == '>'; }

std::string stem_of(const std::string& file) {
  std::string base = file.substr(file.rfind('/') == std::string::npos ? 0 : file.rfind('/') + 1);
  if (base.size() > 5 && base.compare(base.size() - 5, 5, ".json") == 0) base.resize(base.size() - 5);
  return base;
}

std::string canonical_path(const std::string& file) {
  char buf[PATH_MAX];
  return ::realpath(file.c_str(), buf) ? std::string(buf) : file;
}

// Any entry at all: a profile name is taken by whatever sits at NAME.json, so that a FIFO or a
// dangling link there is an error instead of a silent fall-through to the next directory.
bool entry_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// Running as root, a file or directory someone else can change is refused (see profile.h).
void require_trusted(const std::string& path, const std::string& what, const struct stat& st) {
  if (auto why = not_trusted_by_root(st)) {
    NotPermitted e(path + ": " + what + *why + "; running as root, profiles must be changeable by root only");
    e.set_file(path);
    throw e;
  }
}

void require_trusted_dir(const std::string& file, const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) require_trusted(file, "its directory " + dir + " is ", st);
}

// The whole file, refusing anything that is not a regular file or is too large to be a profile,
// and, as root, a file that is not root's alone (checked on the very file read) or sits in a
// directory that is not (as named, and after resolving links).
std::string read_profile_file(const std::string& path) {
  struct stat st;
  ReadResult r = read_regular_file(path, kMaxProfileBytes, &st);
  if (!r.ok && r.err == EFBIG) throw ProfileError(path, "", "larger than 1 MiB; not a profile");
  if (!r.ok) {
    ProfileError e(r.error);
    e.set_file(path);
    throw e;
  }
  if (::geteuid() == 0) {
    require_trusted(path, "", st);
    require_trusted_dir(path, dir_of(path));
    const std::string real_dir = dir_of(canonical_path(path));
    if (real_dir != dir_of(path)) require_trusted_dir(path, real_dir);
  }
  return r.data;
}

// "/cgroups/~1x.slice/cpu.max" -> "cgroup:/x.slice:cpu.max": the knob a setting's pointer names
// in a keyed or grouped section, for errors (`--json` "knob"); nullopt elsewhere.
std::optional<std::string> knob_at_pointer(const std::string& pointer) {
  std::vector<std::string> tokens;  // unescaped ("~1" is "/")
  try {
    for (json::json_pointer p(pointer); !p.empty(); p.pop_back()) tokens.insert(tokens.begin(), p.back());
  } catch (const json::exception&) {
    return std::nullopt;
  }
  const ProfileSection* section = tokens.size() >= 2 ? find_section(tokens[0]) : nullptr;
  if (!section || !section->address || section->shape == SectionShape::kPolicy) return std::nullopt;
  try {
    if (section->shape == SectionShape::kKeyed) return section->address(tokens[1], "");
    const auto& flags = section->group_flags;
    if (tokens.size() >= 3 && !is_provenance_key(tokens[2]) &&
        std::find(flags.begin(), flags.end(), tokens[2]) == flags.end())
      return section->address(tokens[1], tokens[2]);
  } catch (const std::exception&) {  // a key no address can be made of: the error says why
  }
  return std::nullopt;
}

[[noreturn]] void fail(const std::string& file, const std::string& pointer, const std::string& reason) {
  ProfileError err(file, pointer, reason);
  if (auto knob = knob_at_pointer(pointer)) err.set_knob(*knob);
  throw err;
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

// What a setting says, without its why and source: two parents differ only if this differs.
json essence(const json& item) {
  if (!item.is_object()) return item;
  json e = item;
  e.erase("why");
  e.erase("source");
  return e.size() == 1 && e.contains("value") ? e["value"] : e;
}

// Each setting of a resolved body at the level merge() replaces it: a keyed section's keys, a
// grouped section's fields, a policy (or verify) whole.
template <typename F>
void for_each_setting(const json& body, F&& f) {
  for (const auto& [sec, v] : body.items()) {
    const std::string sp = "/" + sec;
    const ProfileSection* section = find_section(sec);
    if (!section || section->shape == SectionShape::kPolicy || !v.is_object()) {
      f(sp, v);
      continue;
    }
    for (const auto& [key, item] : v.items()) {
      const std::string kp = sp + "/" + pointer_token(key);
      if (section->shape == SectionShape::kKeyed || !item.is_object()) {
        f(kp, item);
        continue;
      }
      for (const auto& [field, x] : item.items())
        if (field != "why" && field != "source") f(kp + "/" + pointer_token(field), x);
    }
  }
}

// Settings `next` (a parent merged after those in `acc`) changes to another value, as conflicts of
// the extends list of `file`.
void record_conflicts(const Layer& acc, const Layer& next, const std::string& file, std::vector<ExtendsConflict>& out) {
  auto origin = [](const Layer& l, const std::string& p) {
    auto it = l.origins.find(p);
    return it == l.origins.end() ? std::string() : it->second;
  };
  for_each_setting(next.body, [&](const std::string& pointer, const json& value) {
    const json::json_pointer ptr(pointer);
    if (!acc.body.contains(ptr)) return;
    const json before = essence(acc.body.at(ptr)), after = essence(value);
    if (before == after) return;
    ExtendsConflict c;
    c.setting = pointer;
    c.in = file;
    c.values.push_back({origin(acc, pointer), before});
    c.values.push_back({origin(next, pointer), after});
    out.push_back(std::move(c));
  });
}

// Which file's value the resolved profile holds for each conflict, and why.
void explain_conflicts(std::vector<ExtendsConflict>& conflicts, const std::map<std::string, std::string>& origins) {
  for (auto& c : conflicts) {
    auto it = origins.find(c.setting);
    c.won = it == origins.end() ? "" : it->second;
    if (c.won.empty())
      c.why = "removed (null) by a later profile";
    else if (c.won == c.values.back().file)
      c.why = "later in extends wins";
    else if (c.won == c.in)
      c.why = "set by " + c.in + " itself";
    else
      c.why = "overridden by " + c.won;
  }
}

// The file `-p NAME` loads (see profile.h), parsed and merged.
Profile load_profile_file(const std::string& path, const std::vector<std::string>& search_dirs) {
  return load_profile_from_text(read_profile_file(path), path, search_dirs);
}

// The file this code was loaded from (the executable, or the Python extension inside python3),
// as the kernel maps it into this process; "" when unknown.
std::string own_object_file() {
  const auto here = reinterpret_cast<uintptr_t>(&own_object_file);
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, file;
    in >> range >> perms >> offset >> dev >> inode;
    std::getline(in >> std::ws, file);
    const auto dash = range.find('-');
    if (dash == std::string::npos || file.empty() || file[0] != '/') continue;
    const uintptr_t lo = std::stoull(range.substr(0, dash), nullptr, 16);
    const uintptr_t hi = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (lo <= here && here < hi) return file;
  }
  return "";
}

std::string without_trailing_slashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
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
    std::vector<std::string> dirs;
    if (!in_memory_label(file)) dirs.push_back(dir_of(file));
    dirs.insert(dirs.end(), ld.search_dirs.begin(), ld.search_dirs.end());
    auto found = find_profile(name, dirs);
    if (!found) fail(file, at, "unknown profile '" + name + "'");
    const std::string* path = &found->path;
    const std::string canon = canonical_path(*path);
    auto cyc = std::find(ld.stack.begin(), ld.stack.end(), canon);
    if (cyc != ld.stack.end()) {
      std::string chain;
      for (auto it = cyc; it != ld.stack.end(); ++it) chain += stem_of(*it) + " -> ";
      fail(file, at, "extends cycle: " + chain + name);
    }
    if (ld.stack.size() >= kMaxExtends) fail(file, at, "extends chain deeper than " + std::to_string(kMaxExtends));
    Layer parent = resolve(*path, read_profile_file(*path), ld, nullptr);
    if (i > 0) record_conflicts(acc, parent, file, ld.conflicts);
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

std::string builtin_profile_dir() {
  // Inside the build dir means built, not installed: the source tree's profiles are the built-ins.
  static const std::string dir = [] {
    const std::string build = canonical_path(TUNECTL_BUILD_DIR) + "/";
    const std::string self = own_object_file();
    const bool in_build_tree = !self.empty() && canonical_path(self).rfind(build, 0) == 0;
    return std::string(in_build_tree ? TUNECTL_SOURCE_PROFILE_DIR : TUNECTL_INSTALLED_PROFILE_DIR);
  }();
  return dir;
}

std::vector<std::string> profile_search_dirs(const std::optional<std::string>& profile_path,
                                             const std::string& site_dir, const std::string& builtin_dir) {
  std::string user;
  if (profile_path)
    user = *profile_path;
  else if (const char* env = std::getenv("TUNECTL_PROFILE_PATH"))
    user = env;
  std::vector<std::string> dirs;
  auto add = [&](const std::string& d) {
    if (!d.empty() && std::find(dirs.begin(), dirs.end(), without_trailing_slashes(d)) == dirs.end())
      dirs.push_back(without_trailing_slashes(d));
  };
  std::istringstream parts(user);
  for (std::string d; std::getline(parts, d, ':');) add(d);
  add(site_dir);
  add(builtin_dir);
  return dirs;
}

std::vector<std::string> default_profile_dirs() { return profile_search_dirs(); }

std::optional<FoundProfile> find_profile(const std::string& name, const std::vector<std::string>& search_dirs) {
  std::optional<FoundProfile> found;
  std::string first;
  for (const auto& d : search_dirs) {
    const std::string p = d + "/" + name + ".json";
    if (!entry_exists(p)) continue;
    if (!found) {
      found = FoundProfile{p, {}};
      first = canonical_path(p);
    } else if (canonical_path(p) != first) {  // the same file reached twice hides nothing
      found->shadows.push_back(p);
    }
  }
  return found;
}

Profile load_profile_from_text(const std::string& text, const std::string& file,
                               const std::vector<std::string>& search_dirs) {
  if (text.size() > kMaxProfileBytes) throw ProfileError(file, "", "larger than 1 MiB; not a profile");
  Loader ld{search_dirs, {}, {}};
  ProfileDoc doc;
  Layer l = resolve(file, text, ld, &doc);
  explain_conflicts(ld.conflicts, l.origins);
  Profile p;
  p.name = stem_of(file);
  p.path = file;
  p.description = doc.description;
  p.files = ld.files;
  p.resolved = std::move(l.body);
  p.origins = std::move(l.origins);
  p.conflicts = std::move(ld.conflicts);
  p.digest = sha256_hex(p.resolved.dump());
  return p;
}

Profile load_profile_json_text(const std::string& text, const std::string& label,
                               const std::vector<std::string>& search_dirs) {
  if (!in_memory_label(label)) throw InputError("an in-memory profile's label must look like <name>, got '" + label + "'");
  return load_profile_from_text(text, label, search_dirs);
}

json profile_listing_json(const std::vector<std::string>& search_dirs, const Snapshot& snap, const Host& host) {
  json all = json::array();
  for (const auto& e : scan_profiles(search_dirs)) {
    json j = e.profile ? evaluated_profile_json(*e.profile, snap, &host)
                       : json{{"name", e.name}, {"path", e.path}, {"shadows", e.shadows}, {"error", e.error}};
    j["dir"] = e.dir;
    all.push_back(std::move(j));
  }
  return all;
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
    Profile p = load_profile_file(found->path, search_dirs);
    p.shadows = found->shadows;
    return p;
  } else {
    std::string names, dirs;
    for (const auto& n : list_profiles(search_dirs)) names += (names.empty() ? "" : ", ") + n;
    for (const auto& d : search_dirs) dirs += (dirs.empty() ? "" : ":") + d;
    throw ProfileError("unknown profile '" + name_or_path + "' (found: " + (names.empty() ? "none" : names) +
                       "; searched " + dirs + ")");
  }
  return load_profile_file(path, search_dirs);
}

std::vector<std::string> list_profiles(const std::vector<std::string>& search_dirs) {
  std::set<std::string> names;
  for (const auto& d : search_dirs) {
    DIR* dir = ::opendir(d.c_str());
    if (!dir) continue;
    while (auto* e = ::readdir(dir)) {
      std::string f = e->d_name;
      if (f.size() <= 5 || f.compare(f.size() - 5, 5, ".json") != 0) continue;
      if (valid_profile_name(stem_of(f))) names.insert(stem_of(f));
    }
    ::closedir(dir);
  }
  return {names.begin(), names.end()};
}

std::vector<ProfileEntry> scan_profiles(const std::vector<std::string>& search_dirs) {
  std::vector<ProfileEntry> out;
  for (const auto& name : list_profiles(search_dirs)) {
    auto found = find_profile(name, search_dirs);
    if (!found) continue;  // removed since the listing
    ProfileEntry e;
    e.name = name;
    e.path = found->path;
    e.dir = dir_of(found->path);
    e.shadows = found->shadows;
    try {
      e.profile = load_profile_file(found->path, search_dirs);
      e.profile->shadows = e.shadows;
    } catch (const Error& err) {
      e.error = err.what();
      e.exit_code = err.exit_code();
    } catch (const std::exception& err) {  // one bad file never ends the listing
      e.error = found->path + ": " + err.what();
      e.exit_code = kExitUsage;
    }
    out.push_back(std::move(e));
  }
  return out;
}

EffectiveProfile evaluate_profile(const Profile& profile, const Snapshot& snap, const Host* host) {
  HostFacts facts = host_facts(snap);
  if (host)
    facts.knob_exists = [host](const std::string& address) {
      const ReadResult raw = make_knob(address)->read_raw(*host);
      return raw.ok || raw.err != ENOENT;  // unreadable (EACCES) still exists
    };
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

json evaluated_profile_json(const Profile& p, const Snapshot& snap, const Host* host) {
  EffectiveProfile e = evaluate_profile(p, snap, host);
  json j = profile_json(p);
  j["root"] = snap.host.root;
  j["effective"] = e.settings;
  j["excluded"] = e.excluded;
  j["settings"] = count_settings(p.resolved);
  j["applicable"] = count_settings(e.settings);
  return j;
}

json profile_json(const Profile& p) {
  return {{"name", p.name},     {"path", p.path},         {"description", p.description},
          {"files", p.files},   {"digest", p.digest},     {"resolved", p.resolved},
          {"shadows", p.shadows}, {"conflicts", p.conflicts}};
}

}  // namespace tunectl
