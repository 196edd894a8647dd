#include "core/read_field.h"

#include <cerrno>

namespace tunectl {
namespace {

std::optional<std::string> field_of(const ReadResult& r, ProbeErrors& errors, Presence presence) {
  if (!r.ok) {
    if (!(r.err == ENOENT && presence == Presence::kOptional)) errors.push_back(r.error);
    return std::nullopt;
  }
  return trim(r.data);
}

std::optional<int64_t> int_of(const std::optional<std::string>& text, const std::string& path, ProbeErrors& errors) {
  if (!text) return std::nullopt;
  auto v = parse_int(*text);
  if (!v) errors.push_back(path + ": not an integer: '" + text->substr(0, 64) + "'");
  return v;
}

std::optional<CpuSet> cpulist_of(const std::optional<std::string>& text, const std::string& path,
                                 ProbeErrors& errors) {
  if (!text) return std::nullopt;
  auto p = parse_cpulist(*text);
  if (!p.ok()) errors.push_back(path + ": " + p.error);
  return p.value;
}

std::optional<CpuSet> hex_mask_of(const std::optional<std::string>& text, const std::string& path,
                                  ProbeErrors& errors) {
  if (!text) return std::nullopt;
  auto p = parse_hex_mask(*text);
  if (!p.ok()) errors.push_back(path + ": " + p.error);
  return p.value;
}

}  // namespace

std::optional<std::string> read_field(const Host& host, const std::string& path, ProbeErrors& errors,
                                      Presence presence) {
  return field_of(host.read(path), errors, presence);
}

std::optional<int64_t> read_int_field(const Host& host, const std::string& path, ProbeErrors& errors,
                                      Presence presence) {
  return int_of(read_field(host, path, errors, presence), path, errors);
}

std::optional<CpuSet> read_cpulist_field(const Host& host, const std::string& path, ProbeErrors& errors,
                                         Presence presence) {
  return cpulist_of(read_field(host, path, errors, presence), path, errors);
}

std::optional<CpuSet> read_hex_mask_field(const Host& host, const std::string& path, ProbeErrors& errors,
                                          Presence presence) {
  return hex_mask_of(read_field(host, path, errors, presence), path, errors);
}

std::optional<std::string> read_field(const HostDir& dir, const std::string& name, ProbeErrors& errors,
                                      Presence presence) {
  return field_of(dir.read(name), errors, presence);
}

std::optional<int64_t> read_int_field(const HostDir& dir, const std::string& name, ProbeErrors& errors,
                                      Presence presence) {
  return int_of(read_field(dir, name, errors, presence), dir.full(name), errors);
}

std::optional<CpuSet> read_cpulist_field(const HostDir& dir, const std::string& name, ProbeErrors& errors,
                                         Presence presence) {
  return cpulist_of(read_field(dir, name, errors, presence), dir.full(name), errors);
}

std::optional<CpuSet> read_hex_mask_field(const HostDir& dir, const std::string& name, ProbeErrors& errors,
                                          Presence presence) {
  return hex_mask_of(read_field(dir, name, errors, presence), dir.full(name), errors);
}

std::optional<std::string> read_choice_field(const Host& host, const std::string& path,
                                             ProbeErrors& errors, Presence presence) {
  auto text = read_field(host, path, errors, presence);
  if (!text) return std::nullopt;
  auto p = parse_bracketed(*text);
  if (!p.ok()) {
    errors.push_back(path + ": " + p.error);
    return std::nullopt;
  }
  if (p.value->selected.empty()) {
    errors.push_back(path + ": no bracketed choice in '" + text->substr(0, 64) + "'");
    return std::nullopt;
  }
  return p.value->selected;
}

}  // namespace tunectl
