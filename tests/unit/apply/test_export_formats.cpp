// What the udev and tmpfiles.d exports compute without a NIC or a CPU to look at: the ethtool(8)
// command a rule runs, and the bytes a change writes (masks as wide as the host's possible CPUs,
// epb names as numbers), on a copy of the vm fixture (2 possible CPUs).
#include <gtest/gtest.h>

#include "tests/unit/test_helpers.h"
#include "tuner/apply/export_files.h"

namespace tunectl::export_files {
namespace {

TEST(ExportUdev, EthtoolSettingsBecomeEthtoolCommands) {
  EXPECT_EQ(ethtool_command("eth0", "channels.combined", "8"), "/usr/sbin/ethtool -L eth0 combined 8");
  EXPECT_EQ(ethtool_command("eth0", "rings.rx", "4096"), "/usr/sbin/ethtool -G eth0 rx 4096");
  EXPECT_EQ(ethtool_command("eth0", "coalesce.rx_usecs", "50"), "/usr/sbin/ethtool -C eth0 rx-usecs 50");
  EXPECT_EQ(ethtool_command("eth0", "coalesce.adaptive_rx", "0"), "/usr/sbin/ethtool -C eth0 adaptive-rx off");
  EXPECT_EQ(ethtool_command("eth0", "features.gro", "1"), "");
}

Change change(const std::string& knob, const std::string& value) {
  Change c;
  c.knob = knob;
  c.value = value;
  return c;
}

TEST(ExportFiles, BytesAreWhatTheKnobsWrite) {
  test::TempTree tmp;
  const Host host(tmp.copy_fixture("vm"));
  auto rps = files_written(host, change("rps:eth0:rx-0", "1"));
  ASSERT_TRUE(rps && rps->size() == 1u);
  EXPECT_EQ((*rps)[0].path, "/sys/class/net/eth0/queues/rx-0/rps_cpus");
  EXPECT_EQ((*rps)[0].bytes, "2");  // CPU 1 of possible 0-1
  auto epb = files_written(host, change("epb:0-1", "balance-power"));
  ASSERT_TRUE(epb && epb->size() == 2u);
  EXPECT_EQ((*epb)[1].path, "/sys/devices/system/cpu/cpu1/power/energy_perf_bias");
  EXPECT_EQ((*epb)[1].bytes, "8");
  EXPECT_FALSE(files_written(host, change("sysctl:net.core.somaxconn", "8192")));
  EXPECT_FALSE(files_written(host, change("irq:38:affinity", "0")));
}

}  // namespace
}  // namespace tunectl::export_files
