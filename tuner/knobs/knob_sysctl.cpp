// sysctl:<dotted.name> -> /proc/sys/<dotted/name>. Only the sysctls tunectl manages are allowed,
// each validated against its documented range (Documentation/networking/ip-sysctl.rst,
// Documentation/admin-guide/sysctl/{net,kernel,vm,fs}.rst, networking/nf_conntrack-sysctl.rst)
// because the kernel silently accepts nonsense for several of them (tcp_keepalive_time 0,
// tcp_fin_timeout -5, ...). Two take a name: tcp_congestion_control (one the host already offers)
// and default_qdisc (a parameterless qdisc). The table is also `tunectl knobs`' catalogue.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "core/json_check.h"
#include "tuner/knobs/knob_catalogue.h"
#include "tuner/knobs/knob_util.h"
#include "tuner/knobs/section.h"

namespace tunectl {
namespace {
using namespace knob_util;

constexpr int64_t kIntMax = INT32_MAX;
constexpr int64_t kUintMax = UINT32_MAX;
constexpr int64_t kLongMax = INT64_MAX;

// What a value is checked against beyond its range.
enum class Extra {
  kNone,
  kOrdered,       // multi-value fields must not decrease (min <= default <= max, low <= high)
  kFastOpen,      // a combination of the documented tcp_fastopen flags
  kCongestion,    // a name in the host's net.ipv4.tcp_available_congestion_control
  kQdisc,         // a queueing discipline that works without parameters
  kDirtyRatio,    // refused while the host limits by vm.dirty_bytes (writing the ratio zeroes it)
  kDirtyBgRatio,  // the same for vm.dirty_background_bytes
};

struct SysctlSpec {
  const char* name;
  int fields;       // 1, or 2/3 for multi-value sysctls; 0: one name (a string, not a number)
  int64_t lo, hi;   // per field
  bool netns;       // visible and separate in every network namespace
  Extra extra;
  const char* what;     // field names for multi-value messages ("min default max")
  const char* unit;     // of each field
  const char* deflt;    // the kernel's default and where it comes from
  const char* doc;      // the kernel documentation of record
  const char* missing;  // why the file can be absent, when that is more than "not this kernel"
};

constexpr const char* kIpSysctl = "Documentation/networking/ip-sysctl.rst";
constexpr const char* kNetRst = "Documentation/admin-guide/sysctl/net.rst";
constexpr const char* kKernelRst = "Documentation/admin-guide/sysctl/kernel.rst";
constexpr const char* kVmRst = "Documentation/admin-guide/sysctl/vm.rst";
constexpr const char* kFsRst = "Documentation/admin-guide/sysctl/fs.rst";

// ip-sysctl.rst: keepalive limits are MAX_TCP_KEEPIDLE/KEEPINTVL (32767) and MAX_TCP_KEEPCNT (127);
// tcp_fin_timeout upper bound is TCP_FIN_TIMEOUT_MAX (120 s, include/net/tcp.h); syn_retries is
// clamped 1..MAX_TCP_SYNCNT (127); synack_retries/orphan_retries are u8-sized counts; rmem_max /
// wmem_max below a page is never useful (kernel minimum SOCK_MIN_RCVBUF ~2.3 KiB).
const SysctlSpec kSpecs[] = {
    {"net.ipv4.tcp_keepalive_time", 1, 1, 32767, true, Extra::kNone, nullptr, "seconds", "7200 (2 h)", kIpSysctl,
     nullptr},
    {"net.ipv4.tcp_keepalive_intvl", 1, 1, 32767, true, Extra::kNone, nullptr, "seconds", "75", kIpSysctl, nullptr},
    {"net.ipv4.tcp_keepalive_probes", 1, 1, 127, true, Extra::kNone, nullptr, "probes", "9", kIpSysctl, nullptr},
    {"net.ipv4.tcp_fin_timeout", 1, 1, 120, true, Extra::kNone, nullptr, "seconds", "60", kIpSysctl, nullptr},
    {"net.ipv4.tcp_tw_reuse", 1, 0, 2, true, Extra::kNone, nullptr, "mode (0 off, 1 on, 2 loopback only)",
     "2 (loopback only)", kIpSysctl, nullptr},
    {"net.ipv4.tcp_max_tw_buckets", 1, 0, kIntMax, true, Extra::kNone, nullptr, "sockets",
     "scaled from RAM at boot (ehash size / 2)", kIpSysctl, nullptr},
    {"net.ipv4.tcp_orphan_retries", 1, 0, 255, true, Extra::kNone, nullptr, "retries", "0 (meaning 8)", kIpSysctl,
     nullptr},
    {"net.ipv4.tcp_max_orphans", 1, 0, kIntMax, true, Extra::kNone, nullptr, "sockets", "scaled from RAM at boot",
     kIpSysctl, nullptr},
    {"net.ipv4.tcp_max_syn_backlog", 1, 1, kIntMax, true, Extra::kNone, nullptr, "connections",
     "scaled from RAM at boot (128 and up)", kIpSysctl, nullptr},
    {"net.ipv4.tcp_syn_retries", 1, 1, 127, true, Extra::kNone, nullptr, "retransmissions", "6", kIpSysctl, nullptr},
    {"net.ipv4.tcp_synack_retries", 1, 0, 255, true, Extra::kNone, nullptr, "retransmissions", "5", kIpSysctl, nullptr},
    {"net.ipv4.tcp_rmem", 3, 1, kIntMax, true, Extra::kOrdered, "min default max", "bytes",
     "4096 131072 (max scaled from RAM, up to 6291456)", kIpSysctl, nullptr},
    {"net.ipv4.tcp_wmem", 3, 1, kIntMax, true, Extra::kOrdered, "min default max", "bytes",
     "4096 16384 (max scaled from RAM, up to 4194304)", kIpSysctl, nullptr},
    {"net.ipv4.tcp_slow_start_after_idle", 1, 0, 1, true, Extra::kNone, nullptr, "boolean", "1", kIpSysctl, nullptr},
    {"net.ipv4.tcp_fastopen", 1, 0, 0x607, true, Extra::kFastOpen, nullptr, "flags (0x1 client, 0x2 server, ...)",
     "1 (client)", kIpSysctl, nullptr},
    {"net.ipv4.ip_local_port_range", 2, 1, 65535, true, Extra::kOrdered, "low high", "port", "32768 60999", kIpSysctl,
     nullptr},
    // Per-netns since Linux 4.15. The kernel would load module tcp_<name> for a name it does not
    // have; tunectl only accepts the names the host already offers.
    {"net.ipv4.tcp_congestion_control", 0, 0, 0, true, Extra::kCongestion, nullptr, "algorithm name",
     "chosen at build time (CONFIG_DEFAULT_TCP_CONG, usually cubic)", kIpSysctl, nullptr},
    // 0 disables, 1 probes after an ICMP black hole is detected, 2 always probes.
    {"net.ipv4.tcp_mtu_probing", 1, 0, 2, true, Extra::kNone, nullptr, "mode (0 off, 1 on black hole, 2 always)", "0",
     kIpSysctl, nullptr},
    // UINT_MAX means no limit; 0 would never let a socket be written to (POLLOUT needs unsent < limit).
    {"net.ipv4.tcp_notsent_lowat", 1, 1, kUintMax, true, Extra::kNone, nullptr, "bytes",
     "4294967295 (UINT_MAX: no limit)", kIpSysctl, nullptr},
    {"net.core.somaxconn", 1, 1, kIntMax, true, Extra::kNone, nullptr, "connections", "4096 (128 before Linux 5.4)",
     kIpSysctl, nullptr},
    // Per-netns since Linux 6.x (global before); the live kernel here shows them in a new netns.
    {"net.core.rmem_max", 1, 4096, kIntMax, true, Extra::kNone, nullptr, "bytes", "212992 (scaled by page size)",
     kNetRst, nullptr},
    {"net.core.wmem_max", 1, 4096, kIntMax, true, Extra::kNone, nullptr, "bytes", "212992 (scaled by page size)",
     kNetRst, nullptr},
    // Per-netns since Linux 6.9 (global before). Below a page, ordinary socket options (a BPF
    // filter, multicast memberships) fail with ENOBUFS.
    {"net.core.optmem_max", 1, 4096, kIntMax, true, Extra::kNone, nullptr, "bytes",
     "131072 (20480 before Linux 6.9)", kNetRst, nullptr},
    // Global: exist only in the initial network namespace.
    {"net.core.busy_poll", 1, 0, kIntMax, false, Extra::kNone, nullptr, "microseconds", "0 (off)", kNetRst, nullptr},
    {"net.core.busy_read", 1, 0, kIntMax, false, Extra::kNone, nullptr, "microseconds", "0 (off)", kNetRst, nullptr},
    {"net.core.rps_sock_flow_entries", 1, 0, 1 << 29, false, Extra::kNone, nullptr, "flow entries", "0 (RFS off)",
     kNetRst, nullptr},
    {"net.core.netdev_max_backlog", 1, 1, kIntMax, false, Extra::kNone, nullptr, "packets per CPU", "1000", kNetRst,
     nullptr},
    {"net.core.netdev_budget", 1, 1, kIntMax, false, Extra::kNone, nullptr, "packets per softirq run", "300", kNetRst,
     nullptr},
    // The kernel loads module sch_<name> when it lacks the qdisc; only parameterless qdiscs make
    // sense as a default (net.rst: not HTB or DRR, which need classes).
    {"net.core.default_qdisc", 0, 0, 0, false, Extra::kQdisc, nullptr, "qdisc name", "pfifo_fast", kNetRst, nullptr},
    // Global: one table for the host; other namespaces see it read-only. Exists only while the
    // nf_conntrack module is loaded.
    {"net.netfilter.nf_conntrack_max", 1, 1, kIntMax, false, Extra::kNone, nullptr, "connections",
     "nf_conntrack_buckets x 1 (hash size, scaled from RAM at module load)",
     "Documentation/networking/nf_conntrack-sysctl.rst",
     "the nf_conntrack module is not loaded (tunectl never loads kernel modules)"},
    {"kernel.numa_balancing", 1, 0, 3, false, Extra::kNone, nullptr, "mode (0 off, 1 normal, 2 memory tiering)",
     "1 on NUMA hosts", kKernelRst, nullptr},
    {"kernel.sched_autogroup_enabled", 1, 0, 1, false, Extra::kNone, nullptr, "boolean", "1 (CONFIG_SCHED_AUTOGROUP)",
     kKernelRst, nullptr},
    // RESERVED_PIDS + 1 .. PID_MAX_LIMIT (4194304 on 64-bit).
    {"kernel.pid_max", 1, 301, 4194304, false, Extra::kNone, nullptr, "PIDs",
     "32768, or 1024 per possible CPU when larger", kKernelRst, nullptr},
    {"vm.swappiness", 1, 0, 200, false, Extra::kNone, nullptr, "relative cost (0..200)", "60", kVmRst, nullptr},
    {"vm.dirty_ratio", 1, 0, 100, false, Extra::kDirtyRatio, nullptr, "percent of available memory", "20", kVmRst,
     nullptr},
    {"vm.dirty_background_ratio", 1, 0, 100, false, Extra::kDirtyBgRatio, nullptr, "percent of available memory", "10",
     kVmRst, nullptr},
    {"vm.overcommit_memory", 1, 0, 2, false, Extra::kNone, nullptr,
     "mode (0 heuristic, 1 always, 2 never beyond overcommit_ratio)", "0", kVmRst, nullptr},
    {"vm.zone_reclaim_mode", 1, 0, 7, false, Extra::kNone, nullptr, "flags (1 on, 2 write dirty, 4 swap)", "0",
     kVmRst, nullptr},
    {"vm.max_map_count", 1, 1, kIntMax, false, Extra::kNone, nullptr, "mappings per process", "65530", kVmRst, nullptr},
    // NR_FILE (8192) is the kernel's own floor for the default; LONG_MAX the handler's ceiling.
    {"fs.file-max", 1, 8192, kLongMax, false, Extra::kNone, nullptr, "open files (system-wide)",
     "10% of RAM in KiB, at least 8192 (computed at boot)", kFsRst, nullptr},
    // sysctl_nr_open_min (BITS_PER_LONG) .. sysctl_nr_open_max (INT_MAX rounded down to 64).
    {"fs.nr_open", 1, 64, 2147483584, false, Extra::kNone, nullptr, "open files per process (RLIMIT_NOFILE ceiling)",
     "1048576", kFsRst, nullptr},
};

// Queueing disciplines that work as a default without any parameters (net.rst, default_qdisc).
const char* const kQdiscs[] = {"pfifo_fast", "fq", "fq_codel", "fq_pie", "cake", "codel", "pie", "sfq"};

const SysctlSpec* find_spec(const std::string& name) {
  for (const auto& s : kSpecs)
    if (name == s.name) return &s;
  return nullptr;
}

std::string slashes(std::string s) {
  for (char& c : s)
    if (c == '.') c = '/';
  return s;
}

std::string proc_path(const std::string& name) { return "/proc/sys/" + slashes(name); }

std::string qdisc_list() {
  std::string out;
  for (const char* q : kQdiscs) out += std::string(out.empty() ? "" : ", ") + q;
  return out;
}

// "1..32767", "≥ 1" (no upper bound but the type's), or what a name must be.
std::string range_text(const SysctlSpec& s) {
  if (s.extra == Extra::kCongestion) return "an algorithm listed in net.ipv4.tcp_available_congestion_control";
  if (s.extra == Extra::kQdisc) return "one of " + qdisc_list();
  if (s.hi == kIntMax || s.hi == kLongMax) return "≥ " + std::to_string(s.lo);
  return std::to_string(s.lo) + ".." + std::to_string(s.hi);
}

// One integer field; check_int with this table's notion of "no upper bound".
std::optional<std::string> check_field(const std::string& word, const SysctlSpec& s, int64_t* out) {
  if (s.hi != kLongMax) return check_int(word, s.lo, s.hi, out);
  auto v = parse_int(trim(word));
  if (!v) return "must be an integer " + range_text(s) + ", got '" + trim(word) + "'";
  if (*v < s.lo) return "must be " + range_text(s) + ", got " + std::to_string(*v);
  *out = *v;
  return std::nullopt;
}

// A congestion control or qdisc name as the kernel stores it: a letter, then up to 14 of
// [a-z0-9_] (TCP_CA_NAME_MAX and IFNAMSIZ are 16 with the NUL).
std::optional<std::string> check_name_shape(const std::string& d) {
  const bool ok = !d.empty() && d.size() <= 15 && d[0] >= 'a' && d[0] <= 'z' &&
                  std::all_of(d.begin(), d.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                  });
  if (ok) return std::nullopt;
  return "must be a name (a letter, then up to 14 of a-z, 0-9, '_'), got '" + d + "'";
}

class SysctlKnob : public Knob {
 public:
  SysctlKnob(const std::string& address, const SysctlSpec& spec)
      : Knob(address), spec_(spec), path_(proc_path(spec.name)) {}

  std::string kind() const override { return "sysctl"; }
  bool per_netns() const override { return spec_.netns; }

  ReadResult read_raw(const Host& host) const override {
    ReadResult r = host.read(path_);
    if (!r.ok && r.err == ENOENT && spec_.missing) r.error += " (" + std::string(spec_.missing) + ")";
    return r;
  }

  // Each field as a canonical integer, joined by one space ("4096 131072 6291456"); names as they are.
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
    if (spec_.fields == 0) return validate_name(trim(desired));
    const auto words = split_ws(desired);
    if (static_cast<int>(words.size()) != spec_.fields) {
      if (spec_.fields == 1) return "expects one integer, got '" + fold_ws(desired) + "'";
      return "expects " + std::to_string(spec_.fields) + " integers (" + spec_.what + "), got '" +
             fold_ws(desired) + "'";
    }
    std::vector<int64_t> v(words.size());
    const auto names = split_ws(spec_.what ? spec_.what : "");
    for (size_t i = 0; i < words.size(); ++i) {
      if (auto why = check_field(words[i], spec_, &v[i])) return spec_.fields == 1 ? *why : names[i] + " " + *why;
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

  std::optional<std::string> validate_for(const Host& host, const std::string& desired) const override {
    if (auto why = validate(desired)) return why;
    // A knob whose own file is absent is reported as missing by the planner, not as invalid.
    if (!host.exists(path_)) return std::nullopt;
    if (spec_.extra == Extra::kCongestion) return check_available_congestion(host, trim(desired));
    if (spec_.extra == Extra::kDirtyRatio) return check_not_by_bytes(host, "vm.dirty_bytes");
    if (spec_.extra == Extra::kDirtyBgRatio) return check_not_by_bytes(host, "vm.dirty_background_bytes");
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
      if (!host.exists(path_) && spec_.missing) return *why + " (" + spec_.missing + ")";
      if (!host.exists(path_) && spec_.name[0] == 'n' && !spec_.netns)
        return *why + " (global sysctl: exists only in the initial network namespace)";
      return why;
    }
    return std::nullopt;
  }

 private:
  std::optional<std::string> validate_name(const std::string& d) const {
    if (auto why = check_name_shape(d)) return why;
    if (spec_.extra == Extra::kQdisc) {
      for (const char* q : kQdiscs)
        if (d == q) return std::nullopt;
      return "must be one of " + qdisc_list() + " (qdiscs that work without parameters), got '" + d + "'";
    }
    return std::nullopt;
  }

  // Only what the host already offers: for any other name the kernel would load tcp_<name>.
  static std::optional<std::string> check_available_congestion(const Host& host, const std::string& d) {
    const std::string list_path = proc_path("net.ipv4.tcp_available_congestion_control");
    ReadResult r = host.read(list_path);
    if (!r.ok) return "cannot check '" + d + "' against the available congestion controls: " + r.error;
    const auto names = split_ws(r.data);
    if (std::find(names.begin(), names.end(), d) != names.end()) return std::nullopt;
    return "congestion control '" + d + "' is not available on this host (tcp_available_congestion_control: " +
           fold_ws(r.data) + "); tunectl does not load modules: load tcp_" + d + " first";
  }

  // Writing a *_ratio zeroes the matching *_bytes, which a rollback of the ratio cannot bring back.
  static std::optional<std::string> check_not_by_bytes(const Host& host, const std::string& bytes_sysctl) {
    auto text = host.read_trimmed(proc_path(bytes_sysctl));
    auto v = text ? parse_int(*text) : std::nullopt;
    if (!v || *v == 0) return std::nullopt;
    return "this host limits dirty memory by " + bytes_sysctl + " (" + *text +
           "); writing the ratio would zero it, and rolling back the ratio could not restore it";
  }

  const SysctlSpec& spec_;
  std::string path_;
};

std::string allowed_list() {
  std::string out;
  for (const auto& s : kSpecs) out += std::string(out.empty() ? "" : ", ") + s.name;
  return out;
}

std::vector<std::string> allowed_names() {
  std::vector<std::string> out;
  for (const auto& s : kSpecs) out.push_back(s.name);
  return out;
}

std::unique_ptr<Knob> make_sysctl(const std::string& address) {
  const std::string name = address.substr(7);  // after "sysctl:"
  if (name.empty()) return nullptr;
  if (name.find('/') != std::string::npos || name.find("..") != std::string::npos)
    throw InputError("bad knob address '" + address + "': sysctl names are dotted (net.ipv4.x); '/' and '..' are not allowed");
  const SysctlSpec* spec = find_spec(name);
  if (!spec) {
    const auto close = closest_name(name, allowed_names());
    throw InputError("bad knob address '" + address + "': sysctl '" + name + "' is not managed by tunectl" +
                     (close ? "; did you mean '" + *close + "'?" : std::string()) + " (allowed: " + allowed_list() +
                     ")");
  }
  return std::make_unique<SysctlKnob>(address, *spec);
}

}  // namespace

std::vector<SysctlInfo> sysctl_catalogue() {
  std::vector<SysctlInfo> out;
  for (const auto& s : kSpecs)
    out.push_back(SysctlInfo{s.name, proc_path(s.name), s.netns, s.fields == 0 ? 1 : s.fields, s.what ? s.what : "",
                             range_text(s), s.unit, s.deflt, s.doc, s.missing ? s.missing : ""});
  return out;
}

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
