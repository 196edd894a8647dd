#include "tuner/profile/conditions.h"

#include <fnmatch.h>

#include <cctype>

#include "core/errors.h"
#include "core/strict_json.h"
#include "tuner/knobs/knob.h"

namespace tunectl {
namespace {

const std::vector<std::string> kOps = {"==", "!=", "<", "<=", ">", ">="};
const std::vector<std::string> kCgroupModes = {"unified", "hybrid", "legacy"};
constexpr size_t kMaxGlobs = 64;

bool is_op(const std::string& op) {
  for (const auto& o : kOps)
    if (o == op) return true;
  return false;
}

bool holds(const std::string& op, int c) {
  if (op == "==") return c == 0;
  if (op == "!=") return c != 0;
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

// "5.10.0-28-amd64" -> {5, 10, 0}: leading dot-separated numbers, up to the first non-digit.
std::optional<std::vector<int64_t>> version_parts(const std::string& s) {
  std::vector<int64_t> parts;
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    int64_t v = 0;
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 9)
      v = v * 10 + (s[i++] - '0');
    if (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    parts.push_back(v);
    if (i + 1 < s.size() && s[i] == '.' && std::isdigit(static_cast<unsigned char>(s[i + 1])))
      ++i;
    else
      break;
  }
  if (parts.empty()) return std::nullopt;
  return parts;
}

// Profile side: strictly "N", "N.N", ... up to four parts.
bool valid_version_literal(const std::string& s) {
  auto p = version_parts(s);
  if (!p || p->size() > 4) return false;
  std::string back;
  for (size_t i = 0; i < p->size(); ++i) back += (i ? "." : "") + std::to_string((*p)[i]);
  return back == s;
}

std::string scalar_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// The comparison clauses of a numeric or version fact: a bare value means ==.
std::vector<std::pair<std::string, json>> clauses(const json& spec) {
  std::vector<std::pair<std::string, json>> out;
  if (spec.is_object())
    for (const auto& [op, v] : spec.items()) out.emplace_back(op, v);
  else
    out.emplace_back("==", spec);
  return out;
}

void validate_compare(const json& spec, const std::string& at, bool version) {
  const char* want = version ? "a version string such as \"5.10\"" : "an integer";
  auto check_value = [&](const json& v, const std::string& where) {
    if (version) {
      if (!v.is_string() || !valid_version_literal(v.get<std::string>()))
        throw JsonError(where, std::string("must be ") + want + ", got " + v.dump());
    } else if (!v.is_number_integer()) {
      throw JsonError(where, std::string("must be ") + want + ", got " + v.dump());
    }
  };
  if (!spec.is_object()) return check_value(spec, at);
  if (spec.empty()) throw JsonError(at, "empty comparison (use e.g. {\">=\": ...})");
  for (const auto& [op, v] : spec.items()) {
    if (!is_op(op))
      throw JsonError(at + "/" + pointer_token(op),
                      "unknown operator '" + op + "' (known: ==, !=, <, <=, >, >=)");
    check_value(v, at + "/" + pointer_token(op));
  }
}

void validate_strings(const json& spec, const std::string& at, const std::vector<std::string>* allowed) {
  auto check = [&](const json& v, const std::string& where) {
    if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 64)
      throw JsonError(where, "must be a non-empty string of at most 64 characters, got " + v.dump());
    if (allowed) {
      bool ok = false;
      for (const auto& a : *allowed) ok = ok || a == v.get<std::string>();
      if (!ok) throw JsonError(where, "must be one of unified, hybrid, legacy, got " + v.dump());
    }
  };
  if (!spec.is_array()) return check(spec, at);
  if (spec.empty() || spec.size() > kMaxGlobs)
    throw JsonError(at, "must list 1 to " + std::to_string(kMaxGlobs) + " values");
  for (size_t i = 0; i < spec.size(); ++i) check(spec[i], at + "/" + std::to_string(i));
}

// Knob addresses, each one some knob kind accepts (the same check as a profile's settings).
void validate_knob_addresses(const json& spec, const std::string& at) {
  if (!spec.is_string() && !spec.is_array()) throw JsonError(at, "must be a knob address or a list of them, got " + spec.dump());
  const json list = spec.is_array() ? spec : json::array({spec});
  if (list.empty() || list.size() > kMaxGlobs) throw JsonError(at, "must list 1 to " + std::to_string(kMaxGlobs) + " knobs");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = spec.is_array() ? at + "/" + std::to_string(i) : at;
    if (!list[i].is_string() || list[i].get<std::string>().size() > 256)
      throw JsonError(where, "must be a knob address of at most 256 characters, got " + list[i].dump());
    try {
      make_knob(list[i].get<std::string>());
    } catch (const InputError& e) {
      throw JsonError(where, e.what());
    }
  }
}

std::vector<std::string> string_list(const json& spec) {
  if (spec.is_array()) return spec.get<std::vector<std::string>>();
  return {spec.get<std::string>()};
}

std::string describe_compare(const std::string& fact, const json& spec) {
  std::string out;
  for (const auto& [op, v] : clauses(spec)) out += (out.empty() ? "" : " and ") + fact + " " + op + " " + scalar_text(v);
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::optional<std::string> fails_compare(const std::string& fact, const json& spec,
                                         const std::optional<int64_t>& have) {
  if (!have) return fact + " is unknown on this host";
  for (const auto& [op, v] : clauses(spec)) {
    int64_t want = v.get<int64_t>();
    int c = *have < want ? -1 : (*have > want ? 1 : 0);
    if (!holds(op, c))
      return fact + " " + op + " " + std::to_string(want) + " is false: " + fact + " is " + std::to_string(*have);
  }
  return std::nullopt;
}

std::optional<std::string> fails_kernel(const json& spec, const std::optional<std::string>& kernel) {
  if (!kernel || !version_parts(*kernel)) return std::string("kernel version is unknown on this host");
  for (const auto& [op, v] : clauses(spec)) {
    int c = *compare_versions(*kernel, v.get<std::string>());
    if (!holds(op, c))
      return "kernel " + op + " " + v.get<std::string>() + " is false: kernel is " + *kernel;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int> compare_versions(const std::string& a, const std::string& b) {
  auto pa = version_parts(a), pb = version_parts(b);
  if (!pa || !pb) return std::nullopt;
  for (size_t i = 0; i < std::max(pa->size(), pb->size()); ++i) {
    int64_t x = i < pa->size() ? (*pa)[i] : 0, y = i < pb->size() ? (*pb)[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

HostFacts host_facts(const Snapshot& snap) {
  HostFacts f;
  if (snap.topology) {
    const Topology& t = *snap.topology;
    f.numa_nodes = t.nodes.empty() ? 1 : int64_t(t.nodes.size());
    f.cpus = int64_t(t.online_cpus().size());
    f.virtualized = t.virtualized;
  }
  if (!snap.host.kernel.empty()) f.kernel = snap.host.kernel;
  if (snap.nics) {
    std::vector<std::string> drivers;
    for (const NicInfo& n : *snap.nics)
      if (!n.is_virtual && n.driver) drivers.push_back(*n.driver);
    f.nic_drivers = drivers;
  }
  if (snap.cgroups && !snap.cgroups->mode.empty()) f.cgroup_mode = snap.cgroups->mode;
  return f;
}

void validate_condition(const json& cond, const std::string& at) {
  if (!cond.is_object()) throw JsonError(at, "a condition must be an object, got " + cond.dump());
  if (cond.empty()) throw JsonError(at, "empty condition");
  for (const auto& [key, spec] : cond.items()) {
    const std::string where = at + "/" + pointer_token(key);
    if (key == "numa_nodes" || key == "cpus") {
      validate_compare(spec, where, false);
    } else if (key == "kernel") {
      validate_compare(spec, where, true);
    } else if (key == "virtualized") {
      if (!spec.is_boolean()) throw JsonError(where, "must be true or false, got " + spec.dump());
    } else if (key == "nic_driver") {
      validate_strings(spec, where, nullptr);
    } else if (key == "cgroup_mode") {
      validate_strings(spec, where, &kCgroupModes);
    } else if (key == "knob_exists") {
      validate_knob_addresses(spec, where);
    } else if (key == "all" || key == "any") {
      if (!spec.is_array() || spec.empty())
        throw JsonError(where, "must be a non-empty list of conditions");
      for (size_t i = 0; i < spec.size(); ++i) validate_condition(spec[i], where + "/" + std::to_string(i));
    } else if (key == "not") {
      validate_condition(spec, where);
    } else {
      throw JsonError(where, "unknown condition '" + key +
                                 "' (known: numa_nodes, cpus, kernel, virtualized, nic_driver, "
                                 "cgroup_mode, knob_exists, all, any, not)");
    }
  }
}

std::optional<std::string> condition_fails(const json& cond, const HostFacts& f) {
  for (const auto& [key, spec] : cond.items()) {
    std::optional<std::string> why;
    if (key == "numa_nodes") {
      why = fails_compare(key, spec, f.numa_nodes);
    } else if (key == "cpus") {
      why = fails_compare(key, spec, f.cpus);
    } else if (key == "kernel") {
      why = fails_kernel(spec, f.kernel);
    } else if (key == "virtualized") {
      if (!f.virtualized)
        why = "virtualized is unknown on this host";
      else if (*f.virtualized != spec.get<bool>())
        why = std::string("virtualized == ") + spec.dump() + " is false";
    } else if (key == "nic_driver") {
      if (!f.nic_drivers) {
        why = "NIC drivers are unknown on this host";
      } else {
        bool any = false;
        for (const auto& g : string_list(spec))
          for (const auto& d : *f.nic_drivers) any = any || fnmatch(g.c_str(), d.c_str(), 0) == 0;
        if (!any)
          why = "no NIC driver matches " + join(string_list(spec), "|") + " (drivers: " +
                (f.nic_drivers->empty() ? "none" : join(*f.nic_drivers, ", ")) + ")";
      }
    } else if (key == "cgroup_mode") {
      if (!f.cgroup_mode) {
        why = "cgroup mode is unknown on this host";
      } else {
        bool any = false;
        for (const auto& m : string_list(spec)) any = any || m == *f.cgroup_mode;
        if (!any) why = "cgroup_mode is " + *f.cgroup_mode + ", not " + join(string_list(spec), "|");
      }
    } else if (key == "knob_exists") {
      for (const auto& address : string_list(spec)) {
        if (!f.knob_exists) {
          why = "whether " + address + " exists is unknown here";
          break;
        }
        if (!f.knob_exists(address)) {
          why = address + " does not exist on this host";
          break;
        }
      }
    } else if (key == "all") {
      for (const auto& c : spec)
        if ((why = condition_fails(c, f))) break;
    } else if (key == "any") {
      std::vector<std::string> reasons;
      for (const auto& c : spec) {
        auto r = condition_fails(c, f);
        if (!r) {
          reasons.clear();
          break;
        }
        reasons.push_back(*r);
      }
      if (!reasons.empty()) why = "none holds: " + join(reasons, "; ");
    } else if (key == "not") {
      if (!condition_fails(spec, f)) why = "not (" + describe_condition(spec) + ") is false";
    }
    if (why) return why;
  }
  return std::nullopt;
}

std::string describe_condition(const json& cond) {
  std::vector<std::string> parts;
  for (const auto& [key, spec] : cond.items()) {
    if (key == "numa_nodes" || key == "cpus" || key == "kernel") {
      parts.push_back(describe_compare(key, spec));
    } else if (key == "virtualized") {
      parts.push_back("virtualized == " + spec.dump());
    } else if (key == "nic_driver" || key == "cgroup_mode") {
      parts.push_back(key + " matches " + join(string_list(spec), "|"));
    } else if (key == "knob_exists") {
      parts.push_back(join(string_list(spec), " and ") + " exist" + (string_list(spec).size() == 1 ? "s" : ""));
    } else if (key == "all" || key == "any") {
      std::vector<std::string> sub;
      for (const auto& c : spec) sub.push_back("(" + describe_condition(c) + ")");
      parts.push_back(join(sub, key == "all" ? " and " : " or "));
    } else if (key == "not") {
      parts.push_back("not (" + describe_condition(spec) + ")");
    }
  }
  return join(parts, " and ");
}

}  // namespace tunectl
