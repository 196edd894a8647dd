// EthtoolClient against the running kernel, read-only: error mapping and SET validation. Nothing
// here changes a device (invalid requests are refused before sending, or by the kernel). Every
// supported kernel (5.6+) has ethtool netlink: a client that cannot connect throws, and fails the test.
#include <gtest/gtest.h>

#include <cerrno>

#include "probes/netlink/ethtool_netlink.h"

namespace tunectl {
namespace {

TEST(EthtoolClient, LoopbackHasNoChannels) {
  EthtoolClient c;
  EthtoolResult r = c.get_channels("lo");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.unsupported());
  EXPECT_EQ(r.error.rfind("lo: channels: not supported", 0), 0u) << r.error;
}

TEST(EthtoolClient, MissingDeviceIsNamed) {
  EthtoolClient c;
  EthtoolResult r = c.get_rings("tunectl-none0");
  EXPECT_EQ(r.err, ENODEV);
  EXPECT_EQ(r.error.rfind("tunectl-none0: rings: no such device", 0), 0u) << r.error;
  r = c.set_coalesce("tunectl-none0", {{"rx_usecs", 8}});
  EXPECT_EQ(r.err, ENODEV);
}

TEST(EthtoolClient, SetRefusesReadOnlyUnknownAndOutOfRange) {
  EthtoolClient c;
  EthtoolResult r = c.set_channels("lo", {{"combined_max", 4}});
  EXPECT_EQ(r.err, EINVAL);
  EXPECT_NE(r.error.find("'combined_max' is not a settable channels value"), std::string::npos) << r.error;
  EXPECT_EQ(c.set_rings("lo", {{"rx_size", 4}}).err, EINVAL);
  EXPECT_EQ(c.set_coalesce("lo", {{"use_adaptive_rx", 256}}).err, EINVAL);
  EXPECT_EQ(c.set_coalesce("lo", {{"rx_usecs", -1}}).err, EINVAL);
}

TEST(EthtoolClient, SettableNames) {
  auto ch = EthtoolClient::settable(EthtoolGroup::channels);
  EXPECT_EQ(ch, (std::vector<std::string>{"rx", "tx", "other", "combined"}));
  auto rings = EthtoolClient::settable(EthtoolGroup::rings);
  EXPECT_NE(std::find(rings.begin(), rings.end(), "rx"), rings.end());
  EXPECT_EQ(std::find(rings.begin(), rings.end(), "rx_max"), rings.end());
}

}  // namespace
}  // namespace tunectl
