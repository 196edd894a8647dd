// Receive/transmit packet steering, per queue:
//   rps:<if>:rx-<N>       /sys/class/net/<if>/queues/rx-<N>/rps_cpus      (hex mask)
//   rps_flow:<if>:rx-<N>  /sys/class/net/<if>/queues/rx-<N>/rps_flow_cnt  (power of two or 0)
//   xps:<if>:tx-<N>       /sys/class/net/<if>/queues/tx-<N>/xps_cpus      (hex mask)
// Desired CPU sets are cpulists ("0-3", "" = off) or explicit masks ("0x0f"); they are written as a
// mask as wide as the kernel prints it for this host's possible CPUs. The global table size is
// sysctl:net.core.rps_sock_flow_entries (knob_sysctl.cpp).
#include <algorithm>
#include <cerrno>

#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "core/json_check.h"
#include "tuner/knobs/knob_util.h"
#include "tuner/knobs/cpu_pool.h"
#include "tuner/knobs/section.h"

namespace tunectl {
namespace {
using namespace knob_util;

std::string queue_dir(const std::string& ifname, const std::string& queue) {
  return "/sys/class/net/" + ifname + "/queues/" + queue;
}

std::optional<std::string> queue_not_settable(const Host& host, const std::string& ifname,
                                              const std::string& queue, const std::string& path,
                                              bool xps) {
  if (!host.is_dir("/sys/class/net/" + ifname)) return "no network interface '" + ifname + "'";
  if (!host.is_dir(queue_dir(ifname, queue))) return "interface " + ifname + " has no queue " + queue;
  ReadResult r = host.read(path);
  if (!r.ok) {
    // Single-queue devices list xps_cpus but reading it fails with ENOENT.
    if (xps && (r.err == ENOENT || r.err == EINVAL))
      return "not applicable: " + ifname + " " + queue + " has no XPS map (single-queue device)";
    if (r.err == ENOENT) return path + " does not exist (kernel without RPS/XPS?)";
    return "cannot read " + r.error;
  }
  if (host.is_read_only(path)) return path + " is read-only";
  return std::nullopt;
}

// A cpulist, or a hex mask when it says so ("0x..."), or when it is bytes read from the file.
Parsed<CpuSet> parse_cpus(const std::string& value, bool raw) {
  const std::string t = trim(value);
  if (t.rfind("0x", 0) == 0 || t.rfind("0X", 0) == 0) return parse_hex_mask(t.substr(2));
  if (raw) return parse_hex_mask(t);
  return parse_cpulist(t);
}

class MaskKnob : public Knob {
 public:
  MaskKnob(const std::string& address, std::string kind, std::string ifname, std::string queue,
           std::string file)
      : Knob(address), kind_(std::move(kind)), ifname_(std::move(ifname)), queue_(std::move(queue)),
        path_(queue_dir(ifname_, queue_) + "/" + file) {}

  std::string kind() const override { return kind_; }
  std::optional<std::string> interface() const override { return ifname_; }
  int order_in_phase() const override { return kind_ == "xps" ? 1 : 0; }  // RPS/RFS first, then XPS
  ReadResult read_raw(const Host& host) const override { return host.read(path_); }

  // Canonical cpulist. Bytes from the file end in a newline and are hex masks; a desired value is
  // a cpulist unless prefixed "0x". Use normalise_raw() for file bytes to be unambiguous.
  std::string normalise(const std::string& value) const override {
    const bool raw = !value.empty() && value.back() == '\n';
    auto p = parse_cpus(value, raw);
    return p.ok() ? format_cpulist(*p.value) : fold_ws(value);
  }
  std::string normalise_raw(const std::string& raw) const override {
    auto p = parse_cpus(raw, true);
    return p.ok() ? format_cpulist(*p.value) : fold_ws(raw);
  }

  std::optional<std::string> validate(const std::string& desired) const override {
    auto p = parse_cpus(desired, false);
    if (!p.ok()) return p.error + " (expected a cpulist like 0-3,8 or a mask like 0x0f; empty turns it off)";
    return std::nullopt;
  }

  std::optional<std::string> validate_for(const Host& host, const std::string& desired) const override {
    if (auto why = validate(desired)) return why;
    auto n = possible_cpus(host);
    auto cpus = *parse_cpus(desired, false).value;
    if (n && !cpus.empty() && cpus.back() >= *n)
      return "CPU " + std::to_string(cpus.back()) + " does not exist (this host has " + std::to_string(*n) + " possible CPUs)";
    return std::nullopt;
  }

  WriteOutcome write(const Host& host, const std::string& desired) const override {
    auto p = parse_cpus(desired, false);
    if (!p.ok()) return WriteOutcome{EINVAL, address() + ": " + p.error};
    int width = 1;
    if (auto n = possible_cpus(host)) {
      width = *n;
    } else if (!p.value->empty()) {
      width = p.value->back() + 1;
    }
    return write_file(host, address(), path_, format_hex_mask(*p.value, width) + "\n");
  }

  // The kernel accepts its own mask output back; captured trees get the exact bytes too.
  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    return write_file(host, address(), path_, raw);
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    return queue_not_settable(host, ifname_, queue_, path_, kind_ == "xps");
  }

 private:
  std::string kind_, ifname_, queue_, path_;
};

class FlowCntKnob : public Knob {
 public:
  FlowCntKnob(const std::string& address, std::string ifname, std::string queue)
      : Knob(address), ifname_(std::move(ifname)), queue_(std::move(queue)),
        path_(queue_dir(ifname_, queue_) + "/rps_flow_cnt") {}

  std::string kind() const override { return "rps_flow"; }
  std::optional<std::string> interface() const override { return ifname_; }
  ReadResult read_raw(const Host& host) const override { return host.read(path_); }
  std::string normalise(const std::string& value) const override {
    auto v = parse_int(trim(value));
    return v ? std::to_string(*v) : fold_ws(value);
  }
  // The kernel rounds up to a power of two and reads back the rounded value; insisting on one
  // keeps read-back equal to what was asked.
  std::optional<std::string> validate(const std::string& desired) const override {
    int64_t v = 0;
    if (auto why = check_int(desired, 0, int64_t{1} << 30, &v)) return why;
    if (v != 0 && (v & (v - 1)) != 0) return "must be 0 or a power of two, got " + std::to_string(v);
    return std::nullopt;
  }
  WriteOutcome write(const Host& host, const std::string& desired) const override {
    return write_file(host, address(), path_, normalise(desired) + "\n");
  }
  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    return write_file(host, address(), path_, raw);
  }
  std::optional<std::string> not_settable(const Host& host) const override {
    return queue_not_settable(host, ifname_, queue_, path_, false);
  }

 private:
  std::string ifname_, queue_, path_;
};

// "<kind>:<if>:<dir>-<N>" -> {if, queue}, throwing InputError with the reason.
std::pair<std::string, std::string> parse_queue_address(const std::string& address, const std::string& dir) {
  const auto parts = split(address, ':');
  const std::string shape = parts[0] + ":<if>:" + dir + "-<N>";
  if (parts.size() != 3) throw InputError("bad knob address '" + address + "': expected " + shape);
  if (auto why = check_ifname(parts[1])) throw InputError("bad knob address '" + address + "': " + *why);
  const std::string& q = parts[2];
  const std::string num = q.rfind(dir + "-", 0) == 0 ? q.substr(dir.size() + 1) : "";
  if (!is_digits(num) || num.size() > 5 || (num.size() > 1 && num[0] == '0'))
    throw InputError("bad knob address '" + address + "': queue '" + q + "' is not " + dir + "-<N>");
  return {parts[1], q};
}

}  // namespace

namespace {
using namespace json_check;

// rps / xps: which NICs, which CPUs; rps also sizes the RFS flow tables.
json canonical_steering(const json& v, const std::string& at, bool rps) {
  std::vector<std::string> keys = {"nics", "cpus", "numa_local", "exclude_isolated", "why", "source", "when"};
  if (rps) {
    keys.push_back("flow_entries");
    keys.push_back("flow_cnt");
  }
  only_keys(v, at, keys);
  json out = {{"numa_local", !rps}, {"exclude_isolated", true}};
  canonical_targets(v, at, out);
  for (const char* flag : {"numa_local", "exclude_isolated"})
    if (v.contains(flag)) out[flag] = bool_field(v[flag], sub(at, flag));
  // Sizes are checked by the knobs they become (the interface name is a stand-in).
  const std::pair<const char*, const char*> sizes[] = {{"flow_entries", "sysctl:net.core.rps_sock_flow_entries"},
                                                       {"flow_cnt", "rps_flow:eth0:rx-0"}};
  for (const auto& [key, address] : sizes) {
    if (!rps || !v.contains(key)) continue;
    const std::string where = sub(at, key);
    if (!v[key].is_number_integer()) throw JsonError(where, "must be an integer, got " + v[key].dump());
    if (auto why = make_knob(address)->validate(setting_text(v[key]))) throw JsonError(where, *why);
    out[key] = v[key];
  }
  return out;
}

CpuSet steering_pool(const json& pol, const NicInfo& nic, const Topology& topo) {
  CpuSet pool = cpu_pool(pol["cpus"].get<std::string>(), pol["exclude_isolated"].get<bool>(), topo);
  if (pol["numa_local"].get<bool>() && nic.numa_node && *nic.numa_node >= 0) {
    CpuSet local = intersect(pool, topo.node_cpus(*nic.numa_node));
    if (!local.empty()) return local;
  }
  return pool;
}

std::vector<int> queues(const std::vector<QueueCpus>& listed, int count) {
  std::vector<int> out;
  for (const auto& q : listed) out.push_back(q.queue);
  if (out.empty())
    for (int i = 0; i < count; ++i) out.push_back(i);
  return out;
}

// Largest power of two <= n (at least 1): rps_flow_cnt must be a power of two.
int64_t pow2_floor(int64_t n) {
  int64_t p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

// The NICs the policy's globs name; none is a warning (the profile would silently do nothing).
std::vector<const NicInfo*> matching_or_warn(const Snapshot& snap, const json& pol, const char* section, PlanSink& sink) {
  auto nics = nics_matching(snap, pol["nics"].get<std::vector<std::string>>());
  if (nics.empty()) sink.warn(std::string(section) + ": no physical NIC matches " + pol["nics"].dump());
  return nics;
}

Setting policy_setting(const json& pol, const std::string& pointer, const std::string& value) {
  return Setting{value, pol.value("why", ""), pol.value("source", ""), pointer};
}

void collect_rps(const json& pol, PlanSink& sink) {
  if (pol.contains("flow_entries"))
    sink.add("sysctl:net.core.rps_sock_flow_entries", policy_setting(pol, "/rps/flow_entries", pol["flow_entries"].dump()));
  if (!sink.need("nic", "rps") || !sink.need("topology", "rps")) return;
  const Snapshot& snap = sink.snapshot();
  for (const NicInfo* n : matching_or_warn(snap, pol, "rps", sink)) {
    const CpuSet pool = steering_pool(pol, *n, *snap.topology);
    const auto rx = queues(n->rps, n->rx_queues);
    for (int q : rx) {
      const std::string qn = n->name + ":rx-" + std::to_string(q);
      sink.add("rps:" + qn, policy_setting(pol, "/rps", format_cpulist(pool)));
      // scaling.rst: rps_flow_cnt = rps_sock_flow_entries / N for N receive queues.
      std::optional<int64_t> cnt;
      if (pol.contains("flow_cnt"))
        cnt = pol["flow_cnt"].get<int64_t>();
      else if (pol.contains("flow_entries") && !rx.empty())
        cnt = pow2_floor(std::max<int64_t>(1, pol["flow_entries"].get<int64_t>() / int64_t(rx.size())));
      if (cnt) sink.add("rps_flow:" + qn, policy_setting(pol, "/rps", std::to_string(*cnt)));
    }
  }
}

// XPS: the pool's CPUs are dealt out over the TX queues (CPU j -> queue j mod N), so each CPU
// transmits on exactly one queue; with more queues than CPUs, queue i gets CPU i mod |pool|.
void collect_xps(const json& pol, PlanSink& sink) {
  if (!sink.need("nic", "xps") || !sink.need("topology", "xps")) return;
  const Snapshot& snap = sink.snapshot();
  for (const NicInfo* n : matching_or_warn(snap, pol, "xps", sink)) {
    const CpuSet pool = steering_pool(pol, *n, *snap.topology);
    const auto tx = queues(n->xps, n->tx_queues);
    if (pool.empty() || tx.empty()) continue;
    for (size_t i = 0; i < tx.size(); ++i) {
      CpuSet cpus;
      for (size_t j = i; j < pool.size(); j += tx.size()) cpus.push_back(pool[j]);
      if (cpus.empty()) cpus.push_back(pool[i % pool.size()]);
      sink.add("xps:" + n->name + ":tx-" + std::to_string(tx[i]), policy_setting(pol, "/xps", format_cpulist(cpus)));
    }
  }
}

std::shared_ptr<ProfileSection> steering_section(bool rps) {
  auto section = std::make_shared<ProfileSection>();
  section->name = rps ? "rps" : "xps";
  section->shape = SectionShape::kPolicy;
  section->canonical_policy = [rps](const json& v, const std::string& at) { return canonical_steering(v, at, rps); };
  section->collect = rps ? collect_rps : collect_xps;
  return section;
}

}  // namespace

// Profile sections: {"rps": POLICY} (also sizes the RFS tables) and {"xps": POLICY}.
KnobKind knob_kind_rps() {
  return KnobKind{"rps", "rps:<if>:rx-<N>, e.g. rps:eth0:rx-0",
    [](const std::string& a) -> std::unique_ptr<Knob> {
      auto [ifname, q] = parse_queue_address(a, "rx");
      return std::make_unique<MaskKnob>(a, "rps", ifname, q, "rps_cpus");
    }, ApplyPhase::kSteering, "/sys/class/net", steering_section(true)};
}

KnobKind knob_kind_xps() {
  return KnobKind{"xps", "xps:<if>:tx-<N>, e.g. xps:eth0:tx-0",
    [](const std::string& a) -> std::unique_ptr<Knob> {
      auto [ifname, q] = parse_queue_address(a, "tx");
      return std::make_unique<MaskKnob>(a, "xps", ifname, q, "xps_cpus");
    }, ApplyPhase::kSteering, "/sys/class/net", steering_section(false)};
}

KnobKind knob_kind_rps_flow() {
  return KnobKind{"rps_flow", "rps_flow:<if>:rx-<N>, e.g. rps_flow:eth0:rx-0",
    [](const std::string& a) -> std::unique_ptr<Knob> {
      auto [ifname, q] = parse_queue_address(a, "rx");
      return std::make_unique<FlowCntKnob>(a, ifname, q);
    }, ApplyPhase::kSteering, "/sys/class/net", nullptr};
}
}  // namespace tunectl
