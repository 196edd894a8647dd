// ethtool:<if>:channels.<field> | coalesce.<field> | rings.<field>, through the ethtool
// generic-netlink family (probes/ethtool_netlink.h), never by running the ethtool program.
// Live host only: a captured tree has no driver to ask. Raw value for the journal: decimal text.
#include <cerrno>
#include <climits>

#include "core/errors.h"
#include "probes/netlink/ethtool_netlink.h"
#include "tuner/knobs/knob.h"
#include "core/json_check.h"
#include "tuner/knobs/knob_util.h"
#include "tuner/knobs/section.h"

namespace tunectl {
namespace {
using namespace knob_util;

// Short names from ethtool(8) -> kernel attribute names used by EthtoolClient.
std::string kernel_field(EthtoolGroup g, const std::string& f) {
  if (g == EthtoolGroup::coalesce) {
    if (f == "rx_frames") return "rx_max_frames";
    if (f == "tx_frames") return "tx_max_frames";
    if (f == "adaptive_rx") return "use_adaptive_rx";
    if (f == "adaptive_tx") return "use_adaptive_tx";
    if (f == "rx_frames_irq") return "rx_max_frames_irq";
    if (f == "tx_frames_irq") return "tx_max_frames_irq";
  }
  return f;
}

bool is_flag(const std::string& kf) {
  return kf.rfind("use_", 0) == 0 || kf == "tx_push" || kf == "rx_push" || kf == "tcp_data_split";
}

class EthtoolKnob : public Knob {
 public:
  EthtoolKnob(const std::string& address, std::string ifname, EthtoolGroup group, std::string field)
      : Knob(address), ifname_(std::move(ifname)), group_(group), field_(std::move(field)) {}

  std::string kind() const override { return "ethtool"; }
  std::optional<std::string> interface() const override { return ifname_; }
  // Changing the channel count re-creates the queues and their IRQs: nothing queue-specific,
  // rings and coalescing included, may come before it.
  int order_in_phase() const override { return group_ == EthtoolGroup::channels ? 0 : 1; }
  std::string note_when_changed() const override {
    if (group_ != EthtoolGroup::channels) return "";
    return "changes the queue count: IRQ, RPS and XPS placement here is for the current queues; run plan again "
           "after apply";
  }

  ReadResult read_raw(const Host& host) const override {
    ReadResult r;
    if (!host.is_live()) {
      r.err = EOPNOTSUPP;
      r.error = address() + ": live host only";
      return r;
    }
    EthtoolResult g = get(host);
    if (!g.ok()) {
      r.err = g.err;
      r.error = address() + ": " + g.error;
      return r;
    }
    auto it = g.values->find(field_);
    if (it == g.values->end()) {
      r.err = EOPNOTSUPP;
      r.error = address() + ": the driver does not report " + field_;
      return r;
    }
    r.ok = true;
    r.data = std::to_string(it->second);
    return r;
  }

  std::string normalise(const std::string& value) const override {
    auto v = parse_int(trim(value));
    return v ? std::to_string(*v) : fold_ws(value);
  }

  std::optional<std::string> validate(const std::string& desired) const override {
    if (is_flag(field_)) return check_int(desired, 0, 1);
    if (group_ == EthtoolGroup::channels && field_ == "combined") return check_int(desired, 1, UINT32_MAX);
    return check_int(desired, 0, UINT32_MAX);
  }

  std::optional<std::string> validate_for(const Host& host, const std::string& desired) const override {
    if (auto why = validate(desired)) return why;
    if (!host.is_live()) return std::nullopt;
    EthtoolResult g = get(host);
    if (!g.ok()) return std::nullopt;  // not_settable explains it
    auto max = g.values->find(field_ + "_max");
    if (max != g.values->end() && *parse_int(trim(desired)) > max->second)
      return "must be ≤ " + std::to_string(max->second) + " (" + ifname_ + "'s " + field_ + "_max), got " + trim(desired);
    return std::nullopt;
  }

  WriteOutcome write(const Host& host, const std::string& desired) const override {
    if (!host.is_live()) return WriteOutcome{EOPNOTSUPP, address() + ": live host only"};
    int64_t v = 0;
    if (auto why = check_int(desired, 0, UINT32_MAX, &v)) return WriteOutcome{EINVAL, address() + ": " + *why};
    try {
      EthtoolClient c;
      EthtoolResult r = c.set(group_, ifname_, EthtoolValues{{field_, v}});
      if (r.ok()) return {};
      std::string why = r.err == EOPNOTSUPP ? "the driver does not support changing " + std::string(to_string(group_))
                        : r.err == EINVAL   ? "kernel rejected value '" + std::to_string(v) + "'"
                        : (r.err == EPERM || r.err == EACCES) ? "permission denied (root is needed)"
                                                              : r.error;
      return WriteOutcome{r.err, address() + ": " + why + " (" + errno_name(r.err) + ")"};
    } catch (const std::exception& e) {
      return WriteOutcome{EOPNOTSUPP, address() + ": ethtool netlink unavailable: " + e.what()};
    }
  }

  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    return write(host, raw);
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    if (!host.is_live()) return "live host only (ethtool settings come from the driver over netlink)";
    if (!host.is_dir("/sys/class/net/" + ifname_)) return "no network interface '" + ifname_ + "'";
    EthtoolResult g = get(host);
    if (!g.ok()) {
      if (g.unsupported()) return "the driver does not support " + std::string(to_string(group_));
      return g.error;
    }
    if (!g.values->count(field_)) return "the driver does not report " + field_;
    auto max = g.values->find(field_ + "_max");
    if (max != g.values->end() && max->second == 0) return "the driver offers no " + field_ + " (" + field_ + "_max is 0)";
    return std::nullopt;
  }

 private:
  EthtoolResult get(const Host&) const {
    try {
      EthtoolClient c;
      return c.get(group_, ifname_);
    } catch (const std::exception& e) {
      EthtoolResult r;
      r.err = EOPNOTSUPP;
      r.error = std::string("ethtool netlink unavailable: ") + e.what();
      return r;
    }
  }
  std::string ifname_;
  EthtoolGroup group_;
  std::string field_;  // kernel attribute name
};

std::unique_ptr<Knob> make_ethtool(const std::string& address) {
  const auto parts = split(address, ':');
  const std::string bad = "bad knob address '" + address + "': ";
  if (parts.size() != 3)
    throw InputError(bad + "expected ethtool:<if>:channels.<field>|coalesce.<field>|rings.<field>");
  if (auto why = check_ifname(parts[1])) throw InputError(bad + *why);
  const std::string& gf = parts[2];
  const size_t dot = gf.find('.');
  const std::string gname = dot == std::string::npos ? gf : gf.substr(0, dot);
  const std::string field = dot == std::string::npos ? "" : gf.substr(dot + 1);
  EthtoolGroup group;
  if (gname == "channels") group = EthtoolGroup::channels;
  else if (gname == "coalesce") group = EthtoolGroup::coalesce;
  else if (gname == "rings") group = EthtoolGroup::rings;
  else throw InputError(bad + "'" + gname + "' is not an ethtool group (channels, coalesce, rings)");
  const std::string kf = kernel_field(group, field);
  std::string allowed;
  for (const auto& s : EthtoolClient::settable(group)) {
    if (s == kf) return std::make_unique<EthtoolKnob>(address, parts[1], group, kf);
    allowed += (allowed.empty() ? "" : ", ") + s;
  }
  throw InputError(bad + "'" + field + "' is not a settable " + gname + " field (allowed: " + allowed + ")");
}

}  // namespace

namespace {

void collect_nic(const json& sec, PlanSink& sink) {
  if (!sink.need("nic", "nic settings")) return;
  for (const auto& [glob, fields] : sec.items()) {
    auto nics = nics_matching(sink.snapshot(), {glob});
    if (nics.empty()) sink.warn("nic: no physical NIC matches '" + glob + "'");
    for (const NicInfo* n : nics)
      for (const auto& [field, s] : fields.items())
        if (is_setting(s))
          sink.add("ethtool:" + n->name + ":" + field,
                   setting_of(s, "/nic/" + pointer_token(glob) + "/" + pointer_token(field)));
  }
}

}  // namespace

// Profile section: {"nic": {"<ifname glob>": {"channels.combined" | "rings.rx" | "coalesce.rx_usecs": SETTING}}}.
KnobKind knob_kind_ethtool() {
  auto section = std::make_shared<ProfileSection>();
  section->name = "nic";
  section->shape = SectionShape::kGrouped;
  section->check_key = [](const std::string& glob, const std::string& at) {
    json_check::check_name(glob, at, "interface glob", ".*?[]!:", 64);
  };
  section->check_field = [](const std::string& field, const std::string& at) {
    json_check::check_name(field, at, "ethtool setting", ".", 128);
  };
  // Fields are checked as if for one interface: which NICs match is known only on the host.
  section->address = [](const std::string&, const std::string& field) { return "ethtool:eth0:" + field; };
  section->collect = collect_nic;
  return KnobKind{"ethtool",
    "ethtool:<if>:channels.<combined|rx|tx|other>, ethtool:<if>:coalesce.<field>, ethtool:<if>:rings.<rx|tx|...>",
    make_ethtool, ApplyPhase::kDevice, "", section};
}
}  // namespace tunectl
