#include "probes/netlink/ethtool_netlink.h"

#include <linux/ethtool_netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include <cerrno>
#include <cstring>

#include "probes/netlink/genl_socket.h"

namespace tunectl {
namespace {

// One attribute of a group: its id (uapi enum value), width on the wire, and whether SET takes it.
// Ids are spelled as numbers past the installed header's range so newer kernels' fields
// (rx_push, hds_thresh, tx_aggr_*) are read even when built against older headers.
struct Field {
  int id;
  const char* name;
  int bytes;  // 1 (u8/bool) or 4 (u32)
  bool settable;
};

struct GroupSpec {
  uint8_t get_cmd, set_cmd;
  int header_attr;
  std::vector<Field> fields;
};

const GroupSpec& spec(EthtoolGroup g) {
  static const GroupSpec channels{ETHTOOL_MSG_CHANNELS_GET, ETHTOOL_MSG_CHANNELS_SET, ETHTOOL_A_CHANNELS_HEADER,
                                  {{2, "rx_max", 4, false}, {3, "tx_max", 4, false},
                                   {4, "other_max", 4, false}, {5, "combined_max", 4, false},
                                   {6, "rx", 4, true}, {7, "tx", 4, true},
                                   {8, "other", 4, true}, {9, "combined", 4, true}}};
  static const GroupSpec rings{ETHTOOL_MSG_RINGS_GET, ETHTOOL_MSG_RINGS_SET, ETHTOOL_A_RINGS_HEADER,
                               {{2, "rx_max", 4, false}, {3, "rx_mini_max", 4, false},
                                {4, "rx_jumbo_max", 4, false}, {5, "tx_max", 4, false},
                                {6, "rx", 4, true}, {7, "rx_mini", 4, true},
                                {8, "rx_jumbo", 4, true}, {9, "tx", 4, true},
                                {10, "rx_buf_len", 4, true}, {11, "tcp_data_split", 1, true},
                                {12, "cqe_size", 4, true}, {13, "tx_push", 1, true},
                                {14, "rx_push", 1, true}, {15, "tx_push_buf_len", 4, true},
                                {16, "tx_push_buf_len_max", 4, false}, {17, "hds_thresh", 4, true},
                                {18, "hds_thresh_max", 4, false}, {19, "rx_buf_len_max", 4, false}}};
  static const GroupSpec coalesce{ETHTOOL_MSG_COALESCE_GET, ETHTOOL_MSG_COALESCE_SET, ETHTOOL_A_COALESCE_HEADER,
                                  {{2, "rx_usecs", 4, true}, {3, "rx_max_frames", 4, true},
                                   {4, "rx_usecs_irq", 4, true}, {5, "rx_max_frames_irq", 4, true},
                                   {6, "tx_usecs", 4, true}, {7, "tx_max_frames", 4, true},
                                   {8, "tx_usecs_irq", 4, true}, {9, "tx_max_frames_irq", 4, true},
                                   {10, "stats_block_usecs", 4, true}, {11, "use_adaptive_rx", 1, true},
                                   {12, "use_adaptive_tx", 1, true}, {13, "pkt_rate_low", 4, true},
                                   {14, "rx_usecs_low", 4, true}, {15, "rx_max_frames_low", 4, true},
                                   {16, "tx_usecs_low", 4, true}, {17, "tx_max_frames_low", 4, true},
                                   {18, "pkt_rate_high", 4, true}, {19, "rx_usecs_high", 4, true},
                                   {20, "rx_max_frames_high", 4, true}, {21, "tx_usecs_high", 4, true},
                                   {22, "tx_max_frames_high", 4, true}, {23, "rate_sample_interval", 4, true},
                                   {24, "use_cqe_mode_tx", 1, true}, {25, "use_cqe_mode_rx", 1, true},
                                   {26, "tx_aggr_max_bytes", 4, true}, {27, "tx_aggr_max_frames", 4, true},
                                   {28, "tx_aggr_time_usecs", 4, true}}};
  switch (g) {
    case EthtoolGroup::channels: return channels;
    case EthtoolGroup::rings: return rings;
    case EthtoolGroup::coalesce: break;
  }
  return coalesce;
}

bool put_header(nl_msg* msg, int header_attr, const std::string& ifname) {
  nlattr* nest = nla_nest_start(msg, header_attr);
  if (!nest || nla_put_string(msg, ETHTOOL_A_HEADER_DEV_NAME, ifname.c_str()) < 0) return false;
  nla_nest_end(msg, nest);
  return true;
}

// errno -> the sentence a user needs; the kernel's own extack text is kept when it has one.
EthtoolResult failure(EthtoolGroup g, const std::string& ifname, const GenlStatus& st) {
  EthtoolResult r;
  r.err = st.err;
  std::string what;
  switch (st.err) {
    case EOPNOTSUPP: what = "not supported by the driver"; break;
    case ENODEV: what = "no such device"; break;
    case EPERM:
    case EACCES: what = "not permitted (needs CAP_NET_ADMIN)"; break;
    default: what = std::strerror(st.err); break;
  }
  if (!st.message.empty() && st.message != std::strerror(st.err)) what += " (" + st.message + ")";
  r.error = ifname + ": " + to_string(g) + ": " + what;
  return r;
}

}  // namespace

const char* to_string(EthtoolGroup g) {
  switch (g) {
    case EthtoolGroup::channels: return "channels";
    case EthtoolGroup::rings: return "rings";
    case EthtoolGroup::coalesce: break;
  }
  return "coalesce";
}

bool EthtoolResult::unsupported() const { return err == EOPNOTSUPP; }

EthtoolClient::EthtoolClient() : sock_(std::make_unique<GenlSocket>(ETHTOOL_GENL_NAME)) {}
EthtoolClient::~EthtoolClient() = default;
EthtoolClient::EthtoolClient(EthtoolClient&&) noexcept = default;
EthtoolClient& EthtoolClient::operator=(EthtoolClient&&) noexcept = default;

std::vector<std::string> EthtoolClient::settable(EthtoolGroup group) {
  std::vector<std::string> names;
  for (const auto& f : spec(group).fields)
    if (f.settable) names.emplace_back(f.name);
  return names;
}

EthtoolResult EthtoolClient::get(EthtoolGroup group, const std::string& ifname) {
  const GroupSpec& s = spec(group);
  EthtoolValues values;
  auto reply = [&](const nlmsghdr* hdr) {
    nlattr* a;
    int rem;
    auto* gh = static_cast<genlmsghdr*>(nlmsg_data(hdr));
    nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
      for (const auto& f : s.fields) {
        if (f.id != nla_type(a)) continue;
        if (f.bytes == 1 && nla_len(a) >= 1) values[f.name] = nla_get_u8(a);
        if (f.bytes == 4 && nla_len(a) >= 4) values[f.name] = nla_get_u32(a);
      }
    }
  };
  GenlStatus st = sock_->request(s.get_cmd, [&](nl_msg* m) { return put_header(m, s.header_attr, ifname); }, reply);
  if (!st.ok()) return failure(group, ifname, st);
  EthtoolResult r;
  r.values = std::move(values);
  return r;
}

EthtoolResult EthtoolClient::set(EthtoolGroup group, const std::string& ifname, const EthtoolValues& values) {
  const GroupSpec& s = spec(group);
  std::vector<std::pair<const Field*, int64_t>> puts;
  for (const auto& [name, value] : values) {
    const Field* field = nullptr;
    for (const auto& f : s.fields)
      if (name == f.name) field = &f;
    std::string bad;
    if (!field || !field->settable)
      bad = "'" + name + "' is not a settable " + to_string(group) + " value";
    else if (value < 0 || value > (field->bytes == 1 ? 0xff : 0xffffffffLL))
      bad = "'" + name + "' = " + std::to_string(value) + " is out of range";
    if (!bad.empty()) {
      EthtoolResult r;
      r.err = EINVAL;
      r.error = ifname + ": " + to_string(group) + ": " + bad;
      return r;
    }
    puts.emplace_back(field, value);
  }
  auto build = [&](nl_msg* m) {
    if (!put_header(m, s.header_attr, ifname)) return false;
    for (const auto& [f, v] : puts) {
      int rc = f->bytes == 1 ? nla_put_u8(m, f->id, static_cast<uint8_t>(v))
                             : nla_put_u32(m, f->id, static_cast<uint32_t>(v));
      if (rc < 0) return false;
    }
    return true;
  };
  GenlStatus st = sock_->request(s.set_cmd, build, nullptr);
  if (!st.ok()) return failure(group, ifname, st);
  return {};
}

}  // namespace tunectl
