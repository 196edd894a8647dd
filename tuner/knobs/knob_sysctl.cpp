// sysctl:<dotted.name> -> /proc/sys/<dotted/name>. Only the sysctls tunectl manages are allowed,
// each validated against its documented range (Documentation/networking/ip-sysctl.rst,
// Documentation/admin-guide/sysctl/{net,kernel,vm}.rst) because the kernel silently accepts
// nonsense for several of them (tcp_keepalive_time 0, tcp_fin_timeout -5, ...).
#include <cerrno>
#include <climits>
#include <cstring>

#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "core/json_check.h"
#include "tuner/knobs/knob_util.h"
#include "tuner/knobs/section.h"

namespace tunectl {
namespace {
using namespace knob_util;

constexpr int64_t kIntMax = INT32_MAX;

enum class Extra { kNone, kOrdered, kFastOpen };

struct SysctlSpec {
  const char* name;
  int fields;       // 1, or 2/3 for multi-value sysctls
  int64_t lo, hi;   // per field
  bool netns;       // visible and separate in every network namespace
  Extra extra;
  const char* what; // field names for multi-value messages ("min default max")
};

// ip-sysctl.rst: keepalive limits are MAX_TCP_KEEPIDLE/KEEPINTVL (32767) and MAX_TCP_KEEPCNT (127);
// tcp_fin_timeout upper bound is TCP_FIN_TIMEOUT_MAX (120 s, include/net/tcp.h); syn_retries is
// clamped 1..MAX_TCP_SYNCNT (127); synack_retries/orphan_retries are u8-sized counts; rmem_max /
// wmem_max below a page is never useful (kernel minimum SOCK_MIN_RCVBUF ~2.3 KiB).
const SysctlSpec kSpecs[] = {
    {"net.ipv4.tcp_keepalive_time", 1, 1, 32767, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_keepalive_intvl", 1, 1, 32767, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_keepalive_probes", 1, 1, 127, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_fin_timeout", 1, 1, 120, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_tw_reuse", 1, 0, 2, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_max_tw_buckets", 1, 0, kIntMax, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_orphan_retries", 1, 0, 255, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_max_orphans", 1, 0, kIntMax, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_max_syn_backlog", 1, 1, kIntMax, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_syn_retries", 1, 1, 127, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_synack_retries", 1, 0, 255, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_rmem", 3, 1, kIntMax, true, Extra::kOrdered, "min default max"},
    {"net.ipv4.tcp_wmem", 3, 1, kIntMax, true, Extra::kOrdered, "min default max"},
    {"net.ipv4.tcp_slow_start_after_idle", 1, 0, 1, true, Extra::kNone, nullptr},
    {"net.ipv4.tcp_fastopen", 1, 0, 0x607, true, Extra::kFastOpen, nullptr},
    {"net.ipv4.ip_local_port_range", 2, 1, 65535, true, Extra::kOrdered, "low high"},
    {"net.core.somaxconn", 1, 1, kIntMax, true, Extra::kNone, nullptr},
    // Per-netns since Linux 6.x (global before); the live kernel here shows them in a new netns.
    {"net.core.rmem_max", 1, 4096, kIntMax, true, Extra::kNone, nullptr},
    {"net.core.wmem_max", 1, 4096, kIntMax, true, Extra::kNone, nullptr},
    // Global: exist only in the initial network namespace.
    {"net.core.busy_poll", 1, 0, kIntMax, false, Extra::kNone, nullptr},
    {"net.core.busy_read", 1, 0, kIntMax, false, Extra::kNone, nullptr},
    {"net.core.rps_sock_flow_entries", 1, 0, 1 << 29, false, Extra::kNone, nullptr},
    {"net.core.netdev_max_backlog", 1, 1, kIntMax, false, Extra::kNone, nullptr},
    {"net.core.netdev_budget", 1, 1, kIntMax, false, Extra::kNone, nullptr},
    {"kernel.numa_balancing", 1, 0, 3, false, Extra::kNone, nullptr},
    {"kernel.sched_autogroup_enabled", 1, 0, 1, false, Extra::kNone, nullptr},
    {"vm.swappiness", 1, 0, 200, false, Extra::kNone, nullptr},
    {"vm.dirty_ratio", 1, 0, 100, false, Extra::kNone, nullptr},
    {"vm.dirty_background_ratio", 1, 0, 100, false, Extra::kNone, nullptr},
    {"vm.zone_reclaim_mode", 1, 0, 7, false, Extra::kNone, nullptr},
    {"vm.max_map_count", 1, 1, kIntMax, false, Extra::kNone, nullptr},
};

const SysctlSpec* find_spec(const std::string& name) {
  for (const auto& s : kSpecs)
    if (name == s.name) return &s;
  return nullptr;
}

class SysctlKnob : public Knob {
 public:
  SysctlKnob(const std::string& address, const SysctlSpec& spec)
      : Knob(address), spec_(spec), path_("/proc/sys/" + slashes(spec.name)) {}

  std::string kind() const override { return "sysctl"; }
  bool per_netns() const override { return spec_.netns; }
  const std::string& path() const { return path_; }

  ReadResult read_raw(const Host& host) const override { return host.read(path_); }

  // Each field as a canonical integer, joined by one space ("4096 131072 6291456").
  std::string normalise(const std::string& value) const override {
    std::string out;
    for (const auto& w : split_ws(value)) {
      auto v = parse_int(w);
      if (!out.empty()) out += ' ';
      out += v ? std::to_string(*v) : w;
    }
    return out;
  }

  std::optional<std::string> validate(const std::string& desired) const override {
    const auto words = split_ws(desired);
    if (static_cast<int>(words.size()) != spec_.fields) {
      if (spec_.fields == 1) return "expects one integer, got '" + fold_ws(desired) + "'";
      return "expects " + std::to_string(spec_.fields) + " integers (" + spec_.what + "), got '" +
             fold_ws(desired) + "'";
    }
    std::vector<int64_t> v(words.size());
    const auto names = split_ws(spec_.what ? spec_.what : "");
    for (size_t i = 0; i < words.size(); ++i) {
      if (auto why = check_int(words[i], spec_.lo, spec_.hi, &v[i]))
        return spec_.fields == 1 ? *why : names[i] + " " + *why;
    }
    if (spec_.extra == Extra::kOrdered) {
      for (size_t i = 1; i < v.size(); ++i)
        if (v[i] < v[i - 1])
          return names[i] + " (" + std::to_string(v[i]) + ") must be ≥ " + names[i - 1] + " (" +
                 std::to_string(v[i - 1]) + ")";
    }
    if (spec_.extra == Extra::kFastOpen && (v[0] & ~int64_t{0x607}) != 0)
      return "must be a combination of the flags 0x1, 0x2, 0x4, 0x200, 0x400, got " + std::to_string(v[0]);
    return std::nullopt;
  }

  // The value as the kernel prints it back: fields separated by tabs, one newline.
  WriteOutcome write(const Host& host, const std::string& desired) const override {
    std::string bytes;
    for (const auto& w : split_ws(desired)) {
      if (!bytes.empty()) bytes += '\t';
      auto v = parse_int(w);
      bytes += v ? std::to_string(*v) : w;
    }
    bytes += '\n';
    return write_file(host, address(), path_, bytes, WriteContext::kProcSys);
  }

  // The kernel accepts its own output, so the raw bytes go back as they are, live or captured.
  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    return write_file(host, address(), path_, raw, WriteContext::kProcSys);
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    if (auto why = file_not_settable(host, path_, WriteContext::kProcSys)) {
      if (!host.exists(path_) && spec_.name[0] == 'n' && !spec_.netns)
        return *why + " (global sysctl: exists only in the initial network namespace)";
      return why;
    }
    return std::nullopt;
  }

 private:
  static std::string slashes(std::string s) {
    for (char& c : s)
      if (c == '.') c = '/';
    return s;
  }
  const SysctlSpec& spec_;
  std::string path_;
};

std::string allowed_list() {
  std::string out;
  for (const auto& s : kSpecs) out += std::string(out.empty() ? "" : ", ") + s.name;
  return out;
}

std::unique_ptr<Knob> make_sysctl(const std::string& address) {
  const std::string name = address.substr(7);  // after "sysctl:"
  if (name.empty()) return nullptr;
  if (name.find('/') != std::string::npos || name.find("..") != std::string::npos)
    throw InputError("bad knob address '" + address + "': sysctl names are dotted (net.ipv4.x); '/' and '..' are not allowed");
  const SysctlSpec* spec = find_spec(name);
  if (!spec)
    throw InputError("bad knob address '" + address + "': sysctl '" + name +
                     "' is not managed by tunectl (allowed: " + allowed_list() + ")");
  return std::make_unique<SysctlKnob>(address, *spec);
}

}  // namespace

// Profile section: {"sysctl": {"<dotted.name>": SETTING}}.
KnobKind knob_kind_sysctl() {
  auto section = std::make_shared<ProfileSection>();
  section->name = "sysctl";
  section->shape = SectionShape::kKeyed;
  section->check_key = [](const std::string& key, const std::string& at) {
    json_check::check_name(key, at, "sysctl name", ".", 128);
  };
  section->address = [](const std::string& key, const std::string&) { return "sysctl:" + key; };
  section->collect = keyed_collector("sysctl", "sysctl");
  return KnobKind{"sysctl", "sysctl:<dotted.name>, e.g. sysctl:net.ipv4.tcp_keepalive_time", make_sysctl,
                  ApplyPhase::kSysctl, "/proc/sys", section};
}
}  // namespace tunectl
