#include "core/json_check.h"

#include <algorithm>
#include <cctype>

#include "core/parse.h"

namespace tunectl::json_check {

std::string sub(const std::string& at, const std::string& key) { return at + "/" + pointer_token(key); }

void require_object(const json& v, const std::string& at) {
  if (!v.is_object()) throw JsonError(at, "must be an object, got " + v.dump());
}

void only_keys(const json& obj, const std::string& at, const std::vector<std::string>& allowed) {
  for (const auto& [k, v] : obj.items()) {
    (void)v;
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    std::string known;
    for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
    throw JsonError(sub(at, k), "unknown key '" + k + "' (known: " + known + ")");
  }
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

void check_cpulist(const std::string& text, const std::string& at) {
  auto p = parse_cpulist(text);
  if (!p.ok()) throw JsonError(at, p.error);
  if (p.value->empty()) throw JsonError(at, "empty cpulist");
}

}  // namespace tunectl::json_check
