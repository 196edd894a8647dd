// The knob registry (the allowlist) and the helpers every knob kind shares.
#include "tuner/knobs/knob.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/errno_name.h"
#include "core/errors.h"
#include "tuner/knobs/knob_util.h"

namespace tunectl {

const char* to_string(EffectStatus s) {
  switch (s) {
    case EffectStatus::kOk: return "ok";
    case EffectStatus::kPending: return "pending";
    case EffectStatus::kFailed: return "failed";
    case EffectStatus::kNotApplicable: return "not-applicable";
  }
  return "not-applicable";
}

Effect Knob::check_effect(const Host&, const std::string&) const { return {}; }
std::optional<std::string> Knob::not_settable(const Host&) const { return std::nullopt; }
std::optional<std::string> Knob::validate_for(const Host&, const std::string& desired) const {
  return validate(desired);
}
std::string Knob::normalise_raw(const std::string& raw) const { return normalise(raw); }
bool Knob::matches(const std::string& raw, const std::string& desired) const {
  return normalise_raw(raw) == normalise(desired);
}

const std::vector<KnobKind>& knob_kinds() {
  static const std::vector<KnobKind> kinds = {
#define TUNECTL_KNOB_KIND(prefix) knob_kind_##prefix(),
#include "tuner/knobs/kinds.def"
#undef TUNECTL_KNOB_KIND
  };
  return kinds;
}

namespace {
constexpr size_t kMaxAddress = 4096;

std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 200)) {
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 200) out += "...";
  return out;
}

// Optimal string alignment distance: insertions, deletions, substitutions, adjacent transpositions.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::string last_component(const std::string& s) {
  const size_t dot = s.rfind('.');
  return dot == std::string::npos ? "" : s.substr(dot + 1);
}
}  // namespace

std::optional<std::string> closest_name(const std::string& given, const std::vector<std::string>& known) {
  constexpr size_t kMaxCompared = 256;  // longer input is no typo, and the table is quadratic
  if (given.empty() || given.size() > kMaxCompared) return std::nullopt;
  const size_t limit = std::max<size_t>(1, given.size() / 5);
  std::optional<std::string> best;
  size_t best_d = limit + 1;
  for (const auto& k : known) {
    const size_t d = edit_distance(given, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  if (best) return best;
  const std::string leaf = last_component(given);
  if (leaf.empty()) return std::nullopt;
  std::optional<std::string> same_leaf;
  for (const auto& k : known)
    if (last_component(k) == leaf) {
      if (same_leaf) return std::nullopt;  // ambiguous
      same_leaf = k;
    }
  return same_leaf;
}

namespace {
// The kind prefixes with their colon, for "did you mean 'sysctl:'?".
std::vector<std::string> kind_prefixes() {
  std::vector<std::string> out;
  for (const auto& k : knob_kinds()) out.push_back(k.prefix);
  return out;
}
}  // namespace

const KnobKind& knob_kind_of(const std::string& address) {
  const std::string shown = printable(address);
  const size_t colon = address.find(':');
  const KnobKind* kind = nullptr;
  if (colon != std::string::npos) {
    const std::string prefix = address.substr(0, colon);
    for (const auto& k : knob_kinds())
      if (k.prefix == prefix) kind = &k;
  }
  if (!kind) {
    std::string known;
    for (const auto& k : knob_kinds()) known += (known.empty() ? "" : ", ") + k.prefix + ":";
    std::optional<std::string> close;
    if (colon != std::string::npos) close = closest_name(address.substr(0, colon), kind_prefixes());
    throw InputError("unknown knob '" + shown + "'" + (close ? "; did you mean '" + *close + ":'?" : std::string()) +
                     " (known kinds: " + known + ")");
  }
  return *kind;
}

std::unique_ptr<Knob> make_knob(const std::string& address) {
  const std::string shown = printable(address);
  const KnobKind* kind = &knob_kind_of(address);
  if (address.size() > kMaxAddress)
    throw InputError("bad knob address '" + shown + "': longer than 4096 bytes");
  for (unsigned char c : address)
    if (c < 0x20 || c == 0x7f)
      throw InputError("bad knob address '" + shown + "': contains a control character");
  std::unique_ptr<Knob> knob = kind->make(address);
  if (!knob) throw InputError("bad knob address '" + shown + "': expected " + kind->help);
  return knob;
}

namespace knob_util {

WriteOutcome write_error(const Host& host, const std::string& address, const std::string& path,
                         int err, const std::string& value, WriteContext ctx) {
  std::string v = fold_ws(value);
  if (v.size() > 80) v = v.substr(0, 77) + "...";
  const std::string tag = " (" + errno_name(err) + ")";
  std::string why;
  if (ctx == WriteContext::kIrqAffinity && (err == EPERM || err == EIO)) {
    why = "managed IRQ: kernel refuses affinity changes";
  } else if (ctx == WriteContext::kProcSys && err == EROFS) {
    why = "read-only /proc/sys (container?)";
  } else if (ctx == WriteContext::kProcSys && err == EACCES) {
    why = (host.is_live() && ::geteuid() != 0) ? "permission denied writing /proc/sys (root is needed)"
                                               : "read-only /proc/sys (container?)";
  } else if (err == EACCES || err == EPERM) {
    why = (host.is_live() && ::geteuid() != 0) ? "permission denied writing " + path + " (root is needed)"
                                               : "permission denied writing " + path + " (read-only)";
  } else if (err == EROFS) {
    why = "read-only filesystem: " + path;
  } else if (err == EINVAL || err == ERANGE || err == EOVERFLOW) {
    why = "kernel rejected value '" + v + "'";
  } else if (err == ENOENT) {
    why = path + " does not exist";
  } else {
    why = "writing '" + v + "' to " + path + " failed: " + std::strerror(err);
  }
  return WriteOutcome{err, address + ": " + why + tag};
}

WriteOutcome write_file(const Host& host, const std::string& address, const std::string& path,
                        const std::string& bytes, WriteContext ctx) {
  const int err = host.write(path, bytes);
  if (err == 0) return {};
  return write_error(host, address, path, err, bytes, ctx);
}

std::optional<std::string> file_not_settable(const Host& host, const std::string& path,
                                             WriteContext ctx) {
  ReadResult r = host.read(path);
  if (!r.ok) {
    if (r.err == ENOENT || r.err == ENOTDIR) return path + " does not exist";
    return "cannot read " + r.error;
  }
  if (host.is_read_only(path)) {
    if (ctx == WriteContext::kProcSys) return "read-only /proc/sys (container?): " + path + " has no write permission";
    return path + " is read-only";
  }
  return std::nullopt;
}

std::optional<std::string> check_int(const std::string& text, int64_t lo, int64_t hi, int64_t* out) {
  const std::string t = trim(text);
  auto v = parse_int(t);
  const std::string range = hi == INT32_MAX   ? "≥ " + std::to_string(lo)
                            : lo == hi        ? std::to_string(lo)
                                              : std::to_string(lo) + ".." + std::to_string(hi);
  if (!v) return "must be an integer " + range + ", got '" + t + "'";
  if (*v < lo || *v > hi) return "must be " + range + ", got " + std::to_string(*v);
  if (out) *out = *v;
  return std::nullopt;
}

std::string fold_ws(const std::string& s) {
  std::string out;
  for (const auto& w : split_ws(s)) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::optional<int> possible_cpus(const Host& host) {
  auto t = host.read_trimmed("/sys/devices/system/cpu/possible");
  if (!t) return std::nullopt;
  auto p = parse_cpulist(*t);
  if (!p.ok() || p.value->empty()) return std::nullopt;
  return p.value->back() + 1;
}

std::optional<CpuSet> online_cpus(const Host& host) {
  auto t = host.read_trimmed("/sys/devices/system/cpu/online");
  if (!t) return std::nullopt;
  auto p = parse_cpulist(*t);
  if (!p.ok() || p.value->empty()) return std::nullopt;
  return *p.value;
}

std::optional<std::string> check_ifname(const std::string& name) {
  if (name.empty()) return "empty interface name";
  if (name.size() > 15) return "interface name '" + name + "' is longer than 15 characters";
  if (name == "." || name == "..") return "interface name '" + name + "' is not allowed";
  for (unsigned char c : name)
    if (c == '/' || c == ':' || c <= 0x20 || c == 0x7f)
      return "interface name '" + name + "' contains a forbidden character";
  return std::nullopt;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    size_t j = s.find(sep, i);
    if (j == std::string::npos) {
      out.push_back(s.substr(i));
      return out;
    }
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
}

bool is_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

}  // namespace knob_util
}  // namespace tunectl
