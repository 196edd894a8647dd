#include "core/parse.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace tunectl {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && (std::isspace(static_cast<unsigned char>(s[e - 1])) || s[e - 1] == '\0')) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string tok;
  while (in >> tok) out.push_back(tok);
  return out;
}

std::optional<int64_t> parse_int(const std::string& s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(v);
}

Parsed<CpuSet> parse_cpulist(const std::string& text) {
  using P = Parsed<CpuSet>;
  const std::string t = trim(text);
  // Ascending items (what the kernel writes) are appended; once one is not, every CPU is marked in
  // a table instead, which also bounds the memory of a list that repeats one range many times.
  CpuSet cpus;
  std::vector<char> marked;
  if (t.empty()) return P::of({});
  size_t i = 0;
  while (i <= t.size()) {
    size_t j = t.find(',', i);
    if (j == std::string::npos) j = t.size();
    const std::string item = t.substr(i, j - i);
    if (item.empty()) return P::fail("bad cpulist '" + t + "': empty item");
    size_t dash = item.find('-');
    auto lo = parse_int(dash == std::string::npos ? item : item.substr(0, dash));
    auto hi = dash == std::string::npos ? lo : parse_int(item.substr(dash + 1));
    if (!lo || !hi) return P::fail("bad cpulist '" + t + "': '" + item + "' is not a CPU or range");
    if (*lo < 0 || *hi >= kMaxCpus) return P::fail("bad cpulist '" + t + "': CPU out of range");
    if (*hi < *lo) return P::fail("bad cpulist '" + t + "': range '" + item + "' is backwards");
    if (marked.empty() && (cpus.empty() || *lo > cpus.back())) {
      for (int64_t c = *lo; c <= *hi; ++c) cpus.push_back(static_cast<int>(c));
    } else {
      if (marked.empty()) {
        marked.assign(kMaxCpus, 0);
        for (int c : cpus) marked[static_cast<size_t>(c)] = 1;
      }
      std::fill(marked.begin() + *lo, marked.begin() + *hi + 1, 1);
    }
    i = j + 1;
  }
  if (!marked.empty()) {
    cpus.clear();
    for (int c = 0; c < kMaxCpus; ++c)
      if (marked[static_cast<size_t>(c)]) cpus.push_back(c);
  }
  return P::of(std::move(cpus));
}

std::string format_cpulist(const CpuSet& in) {
  CpuSet cpus = in;
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

Parsed<CpuSet> parse_hex_mask(const std::string& text) {
  using P = Parsed<CpuSet>;
  const std::string t = trim(text);
  if (t.empty()) return P::fail("bad mask '': empty");
  std::vector<std::string> words;
  size_t i = 0;
  while (i <= t.size()) {
    size_t j = t.find(',', i);
    if (j == std::string::npos) j = t.size();
    words.push_back(t.substr(i, j - i));
    i = j + 1;
  }
  if (words.size() * 32 > static_cast<size_t>(kMaxCpus)) return P::fail("bad mask: too many words");
  CpuSet cpus;
  // Least significant word is last.
  for (size_t w = 0; w < words.size(); ++w) {
    const std::string& word = words[words.size() - 1 - w];
    if (word.empty() || word.size() > 8) return P::fail("bad mask '" + t + "': word '" + word + "'");
    uint32_t v = 0;
    for (char c : word) {
      int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
              : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
              : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                          : -1;
      if (d < 0) return P::fail("bad mask '" + t + "': '" + std::string(1, c) + "' is not hex");
      v = (v << 4) | static_cast<uint32_t>(d);
    }
    for (int b = 0; b < 32; ++b)
      if (v & (1u << b)) cpus.push_back(static_cast<int>(w * 32 + b));
  }
  std::sort(cpus.begin(), cpus.end());
  return P::of(cpus);
}

std::string format_hex_mask(const CpuSet& cpus, int ncpus) {
  int max_cpu = ncpus - 1;
  for (int c : cpus) max_cpu = std::max(max_cpu, c);
  const int nwords = std::max(1, (max_cpu + 32) / 32);
  std::vector<uint32_t> words(static_cast<size_t>(nwords), 0);
  for (int c : cpus)
    if (c >= 0) words[static_cast<size_t>(c / 32)] |= (1u << (c % 32));
  // The kernel prints only the digits the CPU count needs in the top word (2 CPUs -> "3").
  std::string out;
  static const char* hex = "0123456789abcdef";
  int top_bits = ((max_cpu % 32) + 1);
  for (int w = nwords - 1; w >= 0; --w) {
    int digits = (w == nwords - 1) ? (top_bits + 3) / 4 : 8;
    for (int d = digits - 1; d >= 0; --d) out += hex[(words[static_cast<size_t>(w)] >> (d * 4)) & 0xf];
    if (w > 0) out += ',';
  }
  return out;
}

Parsed<Choices> parse_bracketed(const std::string& text) {
  using P = Parsed<Choices>;
  Choices c;
  for (const auto& tok : split_ws(text)) {
    if (tok.size() >= 2 && tok.front() == '[' && tok.back() == ']') {
      if (!c.selected.empty()) return P::fail("bad choices '" + trim(text) + "': two selected");
      c.selected = tok.substr(1, tok.size() - 2);
      c.choices.push_back(c.selected);
    } else if (tok.find_first_of("[]") != std::string::npos) {
      return P::fail("bad choices '" + trim(text) + "': unbalanced bracket");
    } else {
      c.choices.push_back(tok);
    }
  }
  if (c.choices.empty()) return P::fail("bad choices: empty");
  return P::of(c);
}

KeyValues parse_key_values(const std::string& text) {
  KeyValues kv;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto toks = split_ws(line);
    if (toks.empty()) continue;
    std::optional<int64_t> v;
    if (toks.size() == 2) v = parse_int(toks[1]);
    if (v)
      kv.values[toks[0]] = *v;
    else
      kv.bad.push_back(line);
  }
  return kv;
}

std::map<std::string, int64_t> parse_meminfo(const std::string& text) {
  std::map<std::string, int64_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto toks = split_ws(line.substr(colon + 1));
    if (toks.empty()) continue;
    if (auto v = parse_int(toks[0])) out[trim(line.substr(0, colon))] = *v;
  }
  return out;
}

Parsed<SectionCounters> parse_netstat(const std::string& text) {
  using P = Parsed<SectionCounters>;
  SectionCounters out;
  std::istringstream in(text);
  std::string header, values;
  while (std::getline(in, header)) {
    if (trim(header).empty()) continue;
    if (!std::getline(in, values)) return P::fail("netstat: header without values: " + header);
    auto h = split_ws(header), v = split_ws(values);
    if (h.empty() || v.empty() || h[0] != v[0] || h[0].back() != ':')
      return P::fail("netstat: mismatched lines '" + h[0] + "'");
    if (h.size() != v.size()) return P::fail("netstat: " + h[0] + " has " + std::to_string(h.size() - 1) +
                                              " names but " + std::to_string(v.size() - 1) + " values");
    const std::string section = h[0].substr(0, h[0].size() - 1);
    for (size_t i = 1; i < h.size(); ++i) {
      auto n = parse_int(v[i]);
      if (!n) return P::fail("netstat: " + section + "." + h[i] + ": '" + v[i] + "' is not a number");
      out[section][h[i]] = *n;
    }
  }
  return P::of(out);
}

SectionCounters parse_sockstat(const std::string& text) {
  SectionCounters out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string section = trim(line.substr(0, colon));
    auto toks = split_ws(line.substr(colon + 1));
    for (size_t i = 0; i + 1 < toks.size(); i += 2)
      if (auto v = parse_int(toks[i + 1])) out[section][toks[i]] = *v;
  }
  return out;
}

namespace {

bool is_trigger(const std::string& s) {
  return s == "edge" || s == "level" || s == "fasteoi" || s == "simple" || s == "none" || s == "bad";
}

// Parses "<chip> <hwirq>-<trigger> <actions...>" after the count columns. Old kernels print
// "IO-APIC-edge  timer" (chip and trigger glued, no hwirq).
void parse_irq_tail(const std::string& tail, InterruptRow& row) {
  auto toks = split_ws(tail);
  if (toks.empty()) return;
  size_t used = 0;
  row.chip = toks[0];
  used = 1;
  if (toks.size() > 1) {
    const std::string& t = toks[1];
    auto dash = t.rfind('-');
    if (dash != std::string::npos && is_trigger(t.substr(dash + 1))) {
      row.hwirq = t.substr(0, dash);
      row.trigger = t.substr(dash + 1);
      used = 2;
    } else if (is_trigger(t)) {
      row.trigger = t;
      used = 2;
    }
  }
  if (row.trigger.empty()) {
    auto dash = row.chip.rfind('-');
    if (dash != std::string::npos && is_trigger(row.chip.substr(dash + 1))) {
      row.trigger = row.chip.substr(dash + 1);
      row.chip = row.chip.substr(0, dash);
    }
  }
  // Actions: the rest of the original text after the used tokens, spaces preserved.
  size_t pos = 0;
  for (size_t k = 0; k < used; ++k) {
    pos = tail.find(toks[k], pos);
    pos += toks[k].size();
  }
  row.actions = trim(tail.substr(std::min(pos, tail.size())));
}

}  // namespace

Parsed<Interrupts> parse_interrupts(const std::string& text) {
  using P = Parsed<Interrupts>;
  Interrupts out;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) return P::fail("/proc/interrupts: empty");
  for (const auto& tok : split_ws(line)) {
    if (tok.rfind("CPU", 0) != 0) return P::fail("/proc/interrupts: header token '" + tok + "' is not CPUn");
    auto n = parse_int(tok.substr(3));
    if (!n || *n < 0 || *n >= kMaxCpus) return P::fail("/proc/interrupts: bad header token '" + tok + "'");
    out.cpus.push_back(static_cast<int>(*n));
  }
  if (out.cpus.empty()) return P::fail("/proc/interrupts: header has no CPU columns");
  while (std::getline(in, line)) {
    if (trim(line).empty()) continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) {
      out.bad.push_back(line);
      continue;
    }
    InterruptRow row;
    row.label = trim(line.substr(0, colon));
    if (row.label.empty()) {
      out.bad.push_back(line);
      continue;
    }
    if (auto n = parse_int(row.label)) row.irq = static_cast<int>(*n);
    // Count columns: up to one per CPU; stop at the first non-number.
    size_t pos = colon + 1;
    while (row.counts.size() < out.cpus.size()) {
      size_t b = line.find_first_not_of(" \t", pos);
      if (b == std::string::npos) break;
      size_t e = line.find_first_of(" \t", b);
      if (e == std::string::npos) e = line.size();
      std::string tok = line.substr(b, e - b);
      auto v = parse_int(tok);
      if (!v || *v < 0) break;
      row.counts.push_back(static_cast<uint64_t>(*v));
      pos = e;
    }
    const std::string tail = pos < line.size() ? line.substr(pos) : "";
    if (row.counts.empty()) {
      out.bad.push_back(line);
      continue;
    }
    if (row.irq) {
      if (row.counts.size() != out.cpus.size()) {
        out.bad.push_back(line);  // truncated row: keep what parsed elsewhere, not this one
        continue;
      }
      parse_irq_tail(tail, row);
    } else {
      row.description = trim(tail);
    }
    out.rows.push_back(std::move(row));
  }
  return P::of(out);
}

}  // namespace tunectl
