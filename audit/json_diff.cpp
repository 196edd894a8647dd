// The schema-free structural JSON diff behind `tunectl diff` (rules in audit/diff.cpp).
#include "audit/json_diff.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/strict_json.h"

namespace tunectl {
namespace {

using Tokens = std::vector<std::string>;

Tokens split_path(const std::string& path) {
  Tokens out;
  size_t i = path.empty() || path[0] != '/' ? 0 : 1;
  while (i <= path.size() && !path.empty()) {
    const size_t slash = path.find('/', i);
    out.push_back(path.substr(i, slash == std::string::npos ? std::string::npos : slash - i));
    if (slash == std::string::npos) break;
    i = slash + 1;
  }
  return out;
}

bool matches(const Tokens& pattern, const Tokens& path) {
  if (pattern.size() != path.size()) return false;
  for (size_t i = 0; i < path.size(); ++i)
    if (pattern[i] != "*" && pattern[i] != path[i]) return false;
  return true;
}

bool is_scalar(const json& v) { return !v.is_object() && !v.is_array(); }

// An element's key as a path token: strings as they are, numbers as written.
std::string key_token(const json& key) { return key.is_string() ? key.get<std::string>() : key.dump(); }

class Differ {
 public:
  Differ(const JsonDiffRules& rules, std::vector<JsonChange>& out) : out_(out) {
    for (const auto& k : rules.keyed_lists) keyed_.push_back({split_path(k.pattern), k.field});
    for (const auto& p : rules.ignored) ignored_.push_back(split_path(p));
  }

  void compare(const json* a, const json* b, Tokens& at, const std::string& shown) {
    for (const auto& p : ignored_)
      if (matches(p, at)) return;
    if (!a && !b) return;
    if (!a || !b) return report(!a ? JsonChange::Kind::kAdded : JsonChange::Kind::kRemoved, shown, a, b);
    if (a->is_object() && b->is_object()) return compare_objects(*a, *b, at, shown);
    if (a->is_array() && b->is_array()) {
      if (const std::string* field = keyed_field(at); field && keyable(*a, *field) && keyable(*b, *field))
        return compare_keyed(*a, *b, *field, at, shown);
      if (all_scalars(*a) && all_scalars(*b)) {
        if (*a != *b) report(JsonChange::Kind::kChanged, shown, a, b);
        return;
      }
      return compare_positional(*a, *b, at, shown);
    }
    if (*a != *b) report(JsonChange::Kind::kChanged, shown, a, b);
  }

 private:
  struct Keyed {
    Tokens pattern;
    std::string field;
  };

  void report(JsonChange::Kind kind, const std::string& shown, const json* a, const json* b) {
    out_.push_back({kind, shown, a ? *a : json(nullptr), b ? *b : json(nullptr)});
  }

  // Descends into child `token` of both sides.
  void child(const json* a, const json* b, Tokens& at, const std::string& shown, const std::string& token) {
    at.push_back(token);
    compare(a, b, at, shown + "/" + pointer_token(token));
    at.pop_back();
  }

  void compare_objects(const json& a, const json& b, Tokens& at, const std::string& shown) {
    std::set<std::string> keys;  // sorted: the output's order does not depend on either input's
    for (const auto& [k, v] : a.items()) keys.insert(k);
    for (const auto& [k, v] : b.items()) keys.insert(k);
    for (const auto& k : keys) {
      const auto ia = a.find(k), ib = b.find(k);
      child(ia == a.end() ? nullptr : &*ia, ib == b.end() ? nullptr : &*ib, at, shown, k);
    }
  }

  // A's elements in A's order (changed or removed), then those only B has, in B's order.
  void compare_keyed(const json& a, const json& b, const std::string& field, Tokens& at, const std::string& shown) {
    std::map<std::string, const json*> in_b;
    for (const auto& eb : b) in_b[key_token(eb[field])] = &eb;
    std::set<std::string> in_a;
    for (const auto& ea : a) {
      const std::string key = key_token(ea[field]);
      in_a.insert(key);
      const auto it = in_b.find(key);
      child(&ea, it == in_b.end() ? nullptr : it->second, at, shown, key);
    }
    for (const auto& eb : b)
      if (!in_a.count(key_token(eb[field]))) child(nullptr, &eb, at, shown, key_token(eb[field]));
  }

  void compare_positional(const json& a, const json& b, Tokens& at, const std::string& shown) {
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i)
      child(i < a.size() ? &a[i] : nullptr, i < b.size() ? &b[i] : nullptr, at, shown, std::to_string(i));
  }

  const std::string* keyed_field(const Tokens& at) const {
    for (const auto& k : keyed_)
      if (matches(k.pattern, at)) return &k.field;
    return nullptr;
  }

  // Every element an object with a scalar `field`, no two with the same key.
  static bool keyable(const json& list, const std::string& field) {
    std::set<std::string> seen;
    for (const auto& e : list) {
      if (!e.is_object()) return false;
      const auto it = e.find(field);
      if (it == e.end() || !(it->is_string() || it->is_number())) return false;
      if (!seen.insert(key_token(*it)).second) return false;
    }
    return true;
  }

  static bool all_scalars(const json& list) {
    for (const auto& e : list)
      if (!is_scalar(e)) return false;
    return true;
  }

  std::vector<Keyed> keyed_;
  std::vector<Tokens> ignored_;
  std::vector<JsonChange>& out_;
};

}  // namespace

const char* to_string(JsonChange::Kind kind) {
  switch (kind) {
    case JsonChange::Kind::kAdded: return "added";
    case JsonChange::Kind::kRemoved: return "removed";
    case JsonChange::Kind::kChanged: break;
  }
  return "changed";
}

void diff_json(const json* a, const json* b, const JsonDiffRules& rules, const std::string& at,
               const std::string& shown_at, std::vector<JsonChange>& out) {
  Differ d(rules, out);
  Tokens tokens = split_path(at);
  d.compare(a, b, tokens, shown_at);
}

}  // namespace tunectl
