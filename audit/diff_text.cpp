// The human form of `tunectl diff`: a header naming both inputs, then per area "path: A -> B".
#include <algorithm>
#include <cstdio>

#include "audit/diff.h"
#include "core/json_text.h"
#include "probes/probe_area.h"

namespace tunectl {
namespace {

constexpr size_t kMaxValueWidth = 60;

// Areas in reading order: what an audit concluded, then the host from its identity down through the
// probe areas in registry order; any other area after these, alphabetically.
std::vector<std::string> area_order(const json& areas) {
  std::vector<std::string> order = {"profile", "outcome", "settings", "verdicts", "snapshot", "host"};
  for (const auto& a : probe_areas()) order.push_back(a.name);
  std::vector<std::string> out;
  for (const auto& name : order)
    if (areas.contains(name)) out.push_back(name);
  for (const auto& [name, v] : areas.items())
    if (std::find(order.begin(), order.end(), name) == order.end()) out.push_back(name);
  return out;
}

// Bytes a terminal would act on (escape sequences in a hostile key) shown as \xNN.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out;
}

// At most kMaxValueWidth bytes, never cutting a UTF-8 sequence.
std::string clipped(const std::string& s) {
  if (s.size() <= kMaxValueWidth) return s;
  size_t n = kMaxValueWidth - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

std::string compact(const json& v) { return dump_json(v); }

// A value on one line: JSON as written (strings quoted, so "" and null stay apart), shortened; an
// object too long for that becomes a summary naming it when it has a name ("an IRQ was added").
std::string shortened(const json& v) {
  std::string text = compact(v);
  if (text.size() <= kMaxValueWidth || !v.is_object()) return clipped(text);
  const auto name = v.find("name");
  const std::string fields = std::to_string(v.size()) + " fields}";
  if (name != v.end() && name->is_string()) return clipped("{name: " + compact(*name) + ", " + fields);
  return "{" + fields;
}

std::string side(const json& d) {
  std::string s = printable(d.value("source", "?"));
  std::string about;
  if (d.contains("hostname") && d["hostname"].is_string())
    about = "host " + printable(d["hostname"].get<std::string>());
  if (d.contains("time") && d["time"].is_string())
    about += (about.empty() ? "" : ", ") + printable(d["time"].get<std::string>());
  return about.empty() ? s : s + " (" + about + ")";
}

}  // namespace

void print_diff(std::ostream& out, const json& diff) {
  if (diff.value("identical", true)) return;
  const std::string kind = diff.value("kind", "snapshot") == "audit" ? "audit report" : "snapshot";
  out << "A: " << kind << " " << side(diff["a"]) << "\n"
      << "B: " << kind << " " << side(diff["b"]) << "\n";
  const json& areas = diff["areas"];
  for (const auto& area : area_order(areas)) {
    const json& changes = areas[area];
    out << "\n" << printable(area) << " (" << changes.size() << (changes.size() == 1 ? " difference)" : " differences)")
        << "\n";
    for (const auto& c : changes) {
      const std::string change = c.value("change", "changed");
      const std::string a = change == "added" ? "(absent)" : printable(shortened(c["a"]));
      const std::string b = change == "removed" ? "(absent)" : printable(shortened(c["b"]));
      out << "  " << printable(c.value("path", "")) << ": " << a << " -> " << b << "\n";
    }
  }
}

}  // namespace tunectl
