// cgroup_dir:<path>: cgroup directories as a knob kind, on captured trees (which emulate the
// interface files the kernel creates with a cgroup).
#include <gtest/gtest.h>

#include "core/errors.h"
#include "tests/unit/test_helpers.h"
#include "tuner/knobs/knob.h"

namespace tunectl {
namespace {
using test::TempTree;

const char* kUnified = "30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
const char* kHybrid =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST(KnobCgroupDir, V2CreatesTheGroupWithTheKernelsInterfaceFilesAndRemovesIt) {
  TempTree t;
  t.write("proc/self/mountinfo", kUnified);
  t.write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory\n");
  t.write("sys/fs/cgroup/cgroup.subtree_control", "cpuset cpu\n");
  t.write("sys/fs/cgroup/cpuset.cpus.effective", "0-3\n");
  Host h(t.path());
  auto k = make_knob("cgroup_dir:/work.slice");
  EXPECT_EQ(k->kind(), "cgroup_dir");
  EXPECT_EQ(knob_kind_of(k->address()).phase, ApplyPhase::kContainers);
  const ReadResult before = k->read_raw(h);
  ASSERT_TRUE(before.ok) << before.error;
  EXPECT_EQ(before.data, "/sys/fs/cgroup/work.slice absent\n");
  EXPECT_EQ(k->normalise_raw(before.data), "absent");
  EXPECT_FALSE(k->not_settable(h));

  ASSERT_TRUE(k->write(h, "present").ok());
  EXPECT_EQ(k->read_raw(h).data, "/sys/fs/cgroup/work.slice present\n");
  EXPECT_TRUE(k->matches(k->read_raw(h).data, "present"));
  EXPECT_EQ(t.read("sys/fs/cgroup/work.slice/cpu.max"), "max 100000\n");
  EXPECT_EQ(t.read("sys/fs/cgroup/work.slice/cpu.weight"), "100\n");
  EXPECT_EQ(t.read("sys/fs/cgroup/work.slice/cgroup.controllers"), "cpuset cpu\n");
  EXPECT_EQ(t.read("sys/fs/cgroup/work.slice/cpuset.cpus.effective"), "0-3\n");
  // A cpu.max knob inside it now works as on the live kernel.
  auto limit = make_knob("cgroup:/work.slice:cpu.max");
  EXPECT_EQ(limit->container().value_or(""), "cgroup_dir:/work.slice");
  ASSERT_TRUE(limit->write(h, "50000 100000").ok());
  EXPECT_EQ(t.read("sys/fs/cgroup/work.slice/cpu.max"), "50000 100000\n");

  ASSERT_TRUE(k->restore(h, before.data).ok());
  EXPECT_FALSE(h.exists("/sys/fs/cgroup/work.slice"));
}

TEST(KnobCgroupDir, HybridHostUsesTheCpuAndCpusetHierarchiesAndRestoresEachExactly) {
  TempTree t;
  t.write("proc/self/mountinfo", kHybrid);
  t.write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  t.write("sys/fs/cgroup/cpu,cpuacct/app/cpu.cfs_quota_us", "-1\n");  // already there in one hierarchy
  t.write("sys/fs/cgroup/cpuset/cpuset.cpus", "0-3\n");
  Host h(t.path());
  auto k = make_knob("cgroup_dir:/app");
  const ReadResult before = k->read_raw(h);
  EXPECT_EQ(before.data, "/sys/fs/cgroup/cpu,cpuacct/app present\n/sys/fs/cgroup/cpuset/app absent\n");
  EXPECT_EQ(k->normalise_raw(before.data), "partial");
  EXPECT_FALSE(k->matches(before.data, "present"));

  ASSERT_TRUE(k->write(h, "present").ok());
  EXPECT_EQ(k->normalise_raw(k->read_raw(h).data), "present");
  EXPECT_EQ(t.read("sys/fs/cgroup/cpuset/app/cpuset.cpus"), "\n");
  EXPECT_EQ(t.read("sys/fs/cgroup/cpu,cpuacct/app/cpu.cfs_quota_us"), "-1\n");  // the existing group untouched

  ASSERT_TRUE(k->restore(h, before.data).ok());
  EXPECT_EQ(k->read_raw(h).data, before.data);  // only the directory it created is gone
  EXPECT_EQ(t.read("sys/fs/cgroup/cpu,cpuacct/app/cpu.cfs_quota_us"), "-1\n");
}

TEST(KnobCgroupDir, RefusesWhatTheKernelRefuses) {
  TempTree t;
  t.write("proc/self/mountinfo", kUnified);
  t.write("sys/fs/cgroup/cgroup.controllers", "cpu\n");
  t.write("sys/fs/cgroup/cgroup.subtree_control", "cpu\n");
  t.write("sys/fs/cgroup/app/child/cgroup.procs", "");
  Host h(t.path());
  EXPECT_EQ(make_knob("cgroup_dir:/app")->validate("yes").value_or(""), "must be \"present\" or \"absent\", got 'yes'");
  // A group with child groups cannot be removed (the kernel says EBUSY).
  const WriteOutcome busy = make_knob("cgroup_dir:/app")->write(h, "absent");
  EXPECT_EQ(busy.err, EBUSY);
  EXPECT_TRUE(h.is_dir("/sys/fs/cgroup/app/child"));
  EXPECT_EQ(make_knob("cgroup_dir:/no/such/parent")->not_settable(h).value_or(""),
            "parent cgroup /sys/fs/cgroup/no/such does not exist");
  EXPECT_EQ(make_knob("cgroup_dir:/")->not_settable(h).value_or(""),
            "the root cgroup always exists and cannot be created or removed");
  EXPECT_THROW(make_knob("cgroup_dir:/a/../etc"), InputError);
  EXPECT_THROW(make_knob("cgroup_dir:relative"), InputError);
}

}  // namespace
}  // namespace tunectl
