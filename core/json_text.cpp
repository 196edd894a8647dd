#include "core/json_text.h"

namespace tunectl {
namespace {

// Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7), 0 when there is none.
size_t sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range; later ones are always 80..BF
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  return n;
}

// A sequence a terminal acts on: C0, DEL, and C1 (U+0080..U+009F is C2 80..C2 9F).
bool is_control(std::string_view s, size_t i, size_t n) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (n == 1) return c < 0x20 || c == 0x7F;
  return n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F;
}

void append_escape(std::string& out, unsigned char c) {
  static const char* hex = "0123456789abcdef";
  out += "\\x";
  out += hex[c >> 4];
  out += hex[c & 15];
}

std::string escape(std::string_view s, bool controls) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = sequence_length(s, i);
    if (n == 0) {
      append_escape(out, static_cast<unsigned char>(s[i++]));
    } else if (controls && is_control(s, i, n)) {
      for (size_t k = 0; k < n; ++k) append_escape(out, static_cast<unsigned char>(s[i + k]));
      i += n;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

// A copy of `j` whose strings and keys are valid UTF-8.
json escaped_strings(const json& j) {
  if (j.is_string()) return escape_invalid_utf8(j.get_ref<const std::string&>());
  if (j.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : j.items()) out[escape_invalid_utf8(k)] = escaped_strings(v);
    return out;
  }
  if (j.is_array()) {
    json out = json::array();
    for (const auto& v : j) out.push_back(escaped_strings(v));
    return out;
  }
  return j;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string escape_invalid_utf8(std::string_view s) { return escape(s, false); }

std::string escape_for_terminal(std::string_view s) { return escape(s, true); }

std::string dump_json(const json& j, int indent) {
  // Almost every document is valid UTF-8: dump it as it is, and copy-and-escape only when the
  // strict dump refuses (type_error 316, "invalid UTF-8 byte").
  try {
    return j.dump(indent);
  } catch (const json::type_error& e) {
    if (e.id != 316) throw;
  }
  return escaped_strings(j).dump(indent);
}

}  // namespace tunectl
