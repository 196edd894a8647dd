// EthtoolClient: channels, rings and coalescing over the ethtool generic-netlink family (live host
// only). Values travel as name -> integer maps using the kernel attribute names in snake case
// ("combined", "combined_max", "rx_usecs", "use_adaptive_rx"); only attributes the driver reports
// are present. The probe reads with get_*; the tuner's knob writer uses set_* with the same names.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tunectl {

using EthtoolValues = std::map<std::string, int64_t>;

enum class EthtoolGroup { channels, rings, coalesce };
const char* to_string(EthtoolGroup g);

struct EthtoolResult {
  std::optional<EthtoolValues> values;  // GET only, on success
  int err = 0;                          // positive errno; 0 on success
  std::string error;                    // one line: "eth0: channels: not supported by the driver"
  bool ok() const { return err == 0; }
  bool unsupported() const;             // the driver does not implement this operation
};

class GenlSocket;

class EthtoolClient {
 public:
  // Opens a generic-netlink socket and resolves the "ethtool" family; throws tunectl::Error when
  // the kernel has no ethtool netlink (pre-5.6) or netlink is unavailable.
  EthtoolClient();
  ~EthtoolClient();
  EthtoolClient(EthtoolClient&&) noexcept;
  EthtoolClient& operator=(EthtoolClient&&) noexcept;

  EthtoolResult get(EthtoolGroup group, const std::string& ifname);
  EthtoolResult get_channels(const std::string& ifname) { return get(EthtoolGroup::channels, ifname); }
  EthtoolResult get_rings(const std::string& ifname) { return get(EthtoolGroup::rings, ifname); }
  EthtoolResult get_coalesce(const std::string& ifname) { return get(EthtoolGroup::coalesce, ifname); }

  // Writes the given settings in one request. Unknown or read-only names (e.g. "combined_max") are
  // refused before anything is sent (err EINVAL). The kernel applies all or nothing; a request that
  // changes nothing is a successful no-op.
  EthtoolResult set(EthtoolGroup group, const std::string& ifname, const EthtoolValues& values);
  EthtoolResult set_channels(const std::string& ifname, const EthtoolValues& v) { return set(EthtoolGroup::channels, ifname, v); }
  EthtoolResult set_rings(const std::string& ifname, const EthtoolValues& v) { return set(EthtoolGroup::rings, ifname, v); }
  EthtoolResult set_coalesce(const std::string& ifname, const EthtoolValues& v) { return set(EthtoolGroup::coalesce, ifname, v); }

  // Names set() accepts for a group, for validation and help text.
  static std::vector<std::string> settable(EthtoolGroup group);

 private:
  std::unique_ptr<GenlSocket> sock_;
};

}  // namespace tunectl
