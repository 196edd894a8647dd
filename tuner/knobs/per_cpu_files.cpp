// Composite raw values and CPU-list checks for the per-CPU knob kinds (see per_cpu_files.h).
#include "tuner/knobs/per_cpu_files.h"

#include <algorithm>
#include <cerrno>
#include <map>

#include "core/errors.h"
#include "tuner/knobs/knob_util.h"

namespace tunectl::per_cpu {

const char* const kCpuDir = "/sys/devices/system/cpu/";

CpuSet parse_address_cpus(const std::string& address, const std::string& text) {
  const std::string bad = "bad knob address '" + address + "': ";
  auto p = parse_cpulist(text);
  if (!p.ok()) throw InputError(bad + p.error);
  if (p.value->empty()) throw InputError(bad + "the cpulist is empty");
  const std::string canonical = format_cpulist(*p.value);
  if (canonical != text) throw InputError(bad + "cpulist '" + text + "' is not canonical (write '" + canonical + "')");
  return *p.value;
}

std::optional<std::string> check_online(const Host& host, const CpuSet& cpus) {
  if (auto n = knob_util::possible_cpus(host); n && cpus.back() >= *n)
    return "CPU " + std::to_string(cpus.back()) + " does not exist (this host has " + std::to_string(*n) +
           " possible CPUs)";
  if (auto online = knob_util::online_cpus(host)) {
    CpuSet off;
    for (int c : cpus)
      if (!std::binary_search(online->begin(), online->end(), c)) off.push_back(c);
    if (!off.empty())
      return "CPUs " + format_cpulist(off) + " are not online (online: " + format_cpulist(*online) + ")";
  }
  return std::nullopt;
}

namespace {

const char* const kHex = "0123456789abcdef";

std::string quote(const std::string& bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> unquote(const std::string& s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::nullopt;
  const std::string body = s.substr(1, s.size() - 2);
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || u < 0x20 || u >= 0x7f) return std::nullopt;  // quote() escapes these
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= body.size()) return std::nullopt;
    switch (body[i]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {  // only \u00XX: one byte each
        if (i + 4 >= body.size() || body.compare(i + 1, 2, "00") != 0) return std::nullopt;
        const int hi = hex_digit(body[i + 3]), lo = hex_digit(body[i + 4]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 4;
        break;
      }
      default: return std::nullopt;
    }
  }
  return out;
}

}  // namespace

std::string encode(const std::vector<FileBytes>& files) {
  std::string out;
  for (const auto& f : files) out += f.rel + "\t" + quote(f.bytes) + "\n";
  return out;
}

Parsed<std::vector<FileBytes>> decode(const std::string& raw) {
  using P = Parsed<std::vector<FileBytes>>;
  std::vector<FileBytes> files;
  size_t i = 0;
  int line = 0;
  while (i < raw.size()) {
    ++line;
    const size_t nl = raw.find('\n', i);
    if (nl == std::string::npos) return P::fail("composite line " + std::to_string(line) + " has no newline");
    const std::string text = raw.substr(i, nl - i);
    i = nl + 1;
    const size_t tab = text.find('\t');
    if (tab == std::string::npos || tab == 0)
      return P::fail("composite line " + std::to_string(line) + " is not '<path>\\t<bytes>'");
    auto bytes = unquote(text.substr(tab + 1));
    if (!bytes) return P::fail("composite line " + std::to_string(line) + ": bytes are not a quoted string");
    files.push_back({text.substr(0, tab), *bytes});
  }
  if (files.empty()) return P::fail("empty composite");
  return P::of(std::move(files));
}

ReadResult read_composite(const Host& host, const std::vector<std::string>& rels) {
  std::vector<FileBytes> files;
  for (const auto& rel : rels) {
    ReadResult r = host.read(kCpuDir + rel);
    if (!r.ok) return r;
    files.push_back({rel, r.data});
  }
  ReadResult out;
  out.ok = true;
  out.data = encode(files);
  return out;
}

WriteOutcome restore_composite(const Host& host, const std::string& address, const std::string& raw,
                               const std::function<Line(const std::string& rel)>& classify) {
  auto files = decode(raw);
  if (!files.ok()) return WriteOutcome{EINVAL, address + ": cannot restore: " + files.error};
  for (const auto& f : *files.value)
    if (classify(f.rel) == Line::kForeign)
      return WriteOutcome{EINVAL, address + ": cannot restore: '" + f.rel + "' is not one of this knob's files"};
  for (const auto& f : *files.value) {
    if (classify(f.rel) != Line::kWrite) continue;
    const std::string path = kCpuDir + f.rel;
    ReadResult cur = host.read(path);
    if (cur.ok && cur.data == f.bytes) continue;
    if (WriteOutcome w = knob_util::write_file(host, address, path, f.bytes); !w.ok()) return w;
  }
  return {};
}

std::optional<int> cpu_of(const std::string& rel) {
  if (rel.compare(0, 3, "cpu") != 0) return std::nullopt;
  const size_t slash = rel.find('/');
  const std::string digits = rel.substr(3, slash == std::string::npos ? std::string::npos : slash - 3);
  if (!knob_util::is_digits(digits) || digits.size() > 6 || (digits.size() > 1 && digits[0] == '0'))
    return std::nullopt;
  return static_cast<int>(*parse_int(digits));
}

std::string agree(const std::vector<std::pair<int, std::string>>& values) {
  if (values.empty()) return "";
  std::vector<std::pair<std::string, CpuSet>> groups;  // in order of first CPU
  for (const auto& value : values) {  // no structured binding: C++17 lambdas cannot capture one
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == value.second; });
    if (it == groups.end()) groups.push_back({value.second, {value.first}});
    else it->second.push_back(value.first);
  }
  if (groups.size() == 1) return groups.front().first;
  std::string out = "mixed:";
  for (auto& [v, cpus] : groups) {
    std::sort(cpus.begin(), cpus.end());
    out += " cpu" + format_cpulist(cpus) + "=" + v;
  }
  return out;
}

std::string agree_normalised(const std::string& raw, const std::function<std::string(const std::string&)>& normalise) {
  auto files = decode(raw);
  if (!files.ok()) return "unreadable: " + files.error;
  std::vector<std::pair<int, std::string>> values;
  for (const auto& f : *files.value) values.push_back({cpu_of(f.rel).value_or(-1), normalise(f.bytes)});
  return agree(values);
}

}  // namespace tunectl::per_cpu
