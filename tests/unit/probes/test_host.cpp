#include <gtest/gtest.h>

#include <cerrno>

#include "core/host.h"
#include "tests/unit/test_helpers.h"

using namespace tunectl;
using tunectl::test::TempTree;

TEST(Host, ReadsThroughRoot) {
  TempTree t;
  t.write("proc/sys/kernel/hostname", "box1\n");
  Host h(t.path());
  EXPECT_FALSE(h.is_live());
  auto r = h.read("/proc/sys/kernel/hostname");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.data, "box1\n");
  EXPECT_EQ(h.read_trimmed("/proc/sys/kernel/hostname"), "box1");
}

TEST(Host, MissingFileNamesPathAndErrno) {
  TempTree t;
  Host h(t.path());
  auto r = h.read("/proc/nope");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.err, ENOENT);
  EXPECT_EQ(r.error, "/proc/nope: No such file or directory");
}

TEST(Host, RelativeSysfsLinksResolveInsideTree) {
  TempTree t;
  t.write("sys/devices/pci0000:00/0000:00:03.0/numa_node", "0\n");
  t.write("sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0/mtu", "1500\n");
  t.symlink("../../devices/pci0000:00/0000:00:03.0/virtio2/net/eth0", "sys/class/net/eth0");
  t.symlink("../../../virtio2", "sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0/device");
  Host h(t.path());
  EXPECT_EQ(h.read_trimmed("/sys/class/net/eth0/mtu"), "1500");
  EXPECT_EQ(h.read_trimmed("/sys/class/net/eth0/device/../numa_node"), "0");
  EXPECT_EQ(h.readlink("/sys/class/net/eth0"), "../../devices/pci0000:00/0000:00:03.0/virtio2/net/eth0");
}

TEST(Host, LinksCannotEscapeTheTree) {
  TempTree t;
  t.write("etc/passwd", "inside\n");
  t.symlink("../../../../../../etc", "sys/escape");
  t.symlink("/etc", "sys/abs");
  Host h(t.path());
  // Both resolve to the tree's own /etc, never the real one.
  EXPECT_EQ(h.read_trimmed("/sys/escape/passwd"), "inside");
  EXPECT_EQ(h.read_trimmed("/sys/abs/passwd"), "inside");
  EXPECT_EQ(h.read_trimmed("/../../etc/passwd"), "inside");
}

TEST(Host, ListIsNaturallySorted) {
  TempTree t;
  for (const char* q : {"rx-10", "rx-2", "rx-1", "tx-0", "rx-0"}) t.write(std::string("q/") + q + "/x", "");
  Host h(t.path());
  EXPECT_EQ(h.list("/q"), (std::vector<std::string>{"rx-0", "rx-1", "rx-2", "rx-10", "tx-0"}));
  EXPECT_TRUE(h.list("/missing").empty());
}

TEST(Host, WriteRefusesReadOnlyFilesLikeSysfs) {
  TempTree t;
  t.write("proc/irq/36/smp_affinity_list", "0-1\n", 0444);
  t.write("proc/irq/38/smp_affinity_list", "0-1\n", 0644);
  Host h(t.path());
  EXPECT_TRUE(h.is_read_only("/proc/irq/36/smp_affinity_list"));
  EXPECT_EQ(h.write("/proc/irq/36/smp_affinity_list", "1"), EACCES);
  EXPECT_EQ(t.read("proc/irq/36/smp_affinity_list"), "0-1\n");
  EXPECT_EQ(h.write("/proc/irq/38/smp_affinity_list", "1"), 0);
  EXPECT_EQ(t.read("proc/irq/38/smp_affinity_list"), "1");
  EXPECT_EQ(h.write("/proc/irq/99/smp_affinity_list", "1"), ENOENT);
}

TEST(Host, LiveRootIsLive) {
  Host h("/");
  EXPECT_TRUE(h.is_live());
  EXPECT_TRUE(h.read("/proc/self/stat").ok);
}

TEST(NaturalLess, Orders) {
  EXPECT_TRUE(natural_less("cpu2", "cpu10"));
  EXPECT_FALSE(natural_less("cpu10", "cpu2"));
  EXPECT_TRUE(natural_less("a", "b"));
  EXPECT_TRUE(natural_less("node1", "node01x"));
}
