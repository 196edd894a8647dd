#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "probes/cgroup.h"
#include "probes/cgroup_mounts.h"
#include "probes/cgroup_tree.h"
#include "probes/snapshot.h"
#include "tests/unit/test_helpers.h"

using namespace tunectl;
using tunectl::test::TempTree;

namespace {

// This VM's /proc/self/mountinfo (systemd hybrid layout, 6.18 kernel), cgroup lines and neighbours.
const char* const kHybridMountinfo =
    "23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

const char* const kUnifiedMountinfo =
    "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

const char* const kLegacyMountinfo =
    "29 23 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:4 - tmpfs tmpfs ro,mode=755\n"
    "30 29 0:27 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:5 - cgroup cgroup rw,xattr,name=systemd\n"
    "32 29 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:7 - cgroup cgroup rw,cpu,cpuacct\n"
    "33 29 0:30 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,cpuset\n";

bool has_error(const ProbeErrors& errors, const std::string& needle) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(needle) != std::string::npos; });
}

const CgroupInfo& group(const Cgroups& c, const std::string& path) {
  auto it = std::find_if(c.groups.begin(), c.groups.end(), [&](const CgroupInfo& g) { return g.path == path; });
  if (it == c.groups.end()) throw std::runtime_error("no group " + path);
  return *it;
}

// A v2 group with the cpu and cpuset controllers enabled, files as a 6.x kernel prints them.
void write_v2_group(const TempTree& t, const std::string& rel, const std::string& max, const std::string& cpus,
                    const std::string& effective, const std::string& stat_tail = "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n") {
  const std::string d = "sys/fs/cgroup" + rel;
  t.write(d + "/cpu.max", max + "\n");
  t.write(d + "/cpu.max.burst", "0\n");
  t.write(d + "/cpu.weight", "100\n");
  t.write(d + "/cpu.stat", "usage_usec 123456789\nuser_usec 86419752\nsystem_usec 37037036\n" + stat_tail +
                               "nr_bursts 0\nburst_usec 0\n");
  t.write(d + "/cpuset.cpus", cpus + "\n");
  t.write(d + "/cpuset.cpus.effective", effective + "\n");
}

void write_v2_host(const TempTree& t) {
  t.write("proc/self/mountinfo", kUnifiedMountinfo);
  t.write("sys/devices/system/cpu/online", "0-7\n");
  t.write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  // The root has no cpu.max, but its cpu.stat still prints the bandwidth counters (as zeros).
  t.write("sys/fs/cgroup/cpu.stat",
          "usage_usec 9876543210123\nuser_usec 6913580247086\nsystem_usec 2962962963036\n"
          "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n");
  t.write("sys/fs/cgroup/cpuset.cpus.effective", "0-7\n");
  write_v2_group(t, "/work.slice", "150000 100000", "", "0-7");
  write_v2_group(t, "/work.slice/job.scope", "max 100000", "2-5", "2-5",
                 "nr_periods 184302\nnr_throttled 20931\nthrottled_usec 912345678\n");
  write_v2_group(t, "/work.slice/pinned.scope", "max 100000", "6", "6");
  // cpuset not delegated here: no cpuset files, and no cpu files either (cpu.stat is core).
  t.write("sys/fs/cgroup/system.slice/cpu.stat", "usage_usec 5\nuser_usec 3\nsystem_usec 2\n");
  t.write("sys/fs/cgroup/system.slice/cgroup.procs", "1\n");
}

// This VM's v1 files: cpu at /sys/fs/cgroup/cpu, cpuset at /sys/fs/cgroup/cpuset.
void write_v1_group(const TempTree& t, const std::string& rel, const std::string& quota, const std::string& shares,
                    const std::string& stat = "nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n") {
  const std::string d = "sys/fs/cgroup/cpu" + rel;
  t.write(d + "/cpu.cfs_burst_us", "0\n");
  t.write(d + "/cpu.cfs_period_us", "100000\n");
  t.write(d + "/cpu.cfs_quota_us", quota + "\n");
  t.write(d + "/cpu.shares", shares + "\n");
  t.write(d + "/cpu.stat", stat);
  t.write(d + "/cpu.idle", "0\n");
}

void write_v1_cpuset(const TempTree& t, const std::string& rel, const std::string& cpus) {
  t.write("sys/fs/cgroup/cpuset" + rel + "/cpuset.cpus", cpus + "\n");
  t.write("sys/fs/cgroup/cpuset" + rel + "/cpuset.effective_cpus", cpus + "\n");
}

void write_hybrid_host(const TempTree& t) {
  t.write("proc/self/mountinfo", kHybridMountinfo);
  t.write("sys/devices/system/cpu/online", "0-1\n");
  t.write("sys/fs/cgroup/unified/cgroup.controllers", "");  // every controller is bound to v1
  write_v1_group(t, "", "-1", "1024");
  write_v1_group(t, "/docker", "-1", "1024");
  write_v1_group(t, "/docker/web", "50000", "512",
                 "nr_periods 512340\nnr_throttled 98211\nthrottled_time 4123456789012\nnr_bursts 0\nburst_time 0\n");
  write_v1_cpuset(t, "", "0-1");
  write_v1_cpuset(t, "/docker", "0-1");
  write_v1_cpuset(t, "/docker/web", "1");
  write_v1_cpuset(t, "/pinned", "0");  // only in the cpuset hierarchy
}

}  // namespace

TEST(CgroupMounts, HybridThisVm) {
  auto mounts = parse_cgroup_mounts(kHybridMountinfo);
  ASSERT_EQ(mounts.size(), 6u);  // tmpfs and sysfs skipped
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup/cpu");
  EXPECT_EQ(mounts[0].options, (std::vector<std::string>{"rw", "cpu"}));
  auto layout = locate_cgroups(mounts, "");
  EXPECT_EQ(layout.mode, "hybrid");
  EXPECT_EQ(layout.unified_mount, "/sys/fs/cgroup/unified");
  ASSERT_TRUE(layout.cpu && layout.cpuset);
  EXPECT_EQ(layout.cpu->version, "v1");
  EXPECT_EQ(layout.cpu->mount, "/sys/fs/cgroup/cpu");  // not cpuacct: "cpu" must match exactly
  EXPECT_EQ(layout.cpuset->mount, "/sys/fs/cgroup/cpuset");
}

// A line cut off after the source (found by fuzzing: the super options were read past the end).
TEST(CgroupMounts, LineWithoutSuperOptions) {
  for (int i = 0; i < 50; ++i) {  // the bad read depended on what the field vector's spare room held
    auto m = parse_cgroup_mounts("29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2\n"
                                 "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
    ASSERT_EQ(m.size(), 2u);
    EXPECT_TRUE(m[0].v2);
    EXPECT_TRUE(m[0].options.empty());
    EXPECT_EQ(m[1].options, (std::vector<std::string>{"rw", "cpu"}));
  }
}

TEST(CgroupMounts, UnifiedLegacyAndEscapes) {
  auto unified = locate_cgroups(parse_cgroup_mounts(kUnifiedMountinfo), "cpuset cpu io memory pids\n");
  EXPECT_EQ(unified.mode, "unified");
  EXPECT_EQ(unified.cpu->version, "v2");
  EXPECT_EQ(unified.cpu->mount, "/sys/fs/cgroup");
  EXPECT_EQ(unified.cpuset->version, "v2");

  auto no_cpu = locate_cgroups(parse_cgroup_mounts(kUnifiedMountinfo), "memory pids");
  EXPECT_EQ(no_cpu.cpu, std::nullopt);

  auto legacy = locate_cgroups(parse_cgroup_mounts(kLegacyMountinfo), "");
  EXPECT_EQ(legacy.mode, "legacy");
  EXPECT_EQ(legacy.unified_mount, std::nullopt);
  EXPECT_EQ(legacy.cpu->mount, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(legacy.cpuset->version, "v1");

  // A bind mount elsewhere (listed first) loses to the canonical location; \040 is a space.
  auto m = parse_cgroup_mounts(
      "50 1 0:40 / /mnt/my\\040cg rw - cgroup2 cgroup2 rw\n"
      "51 1 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
      "garbage line\n"
      "52 1 0:41 / /x rw - cgroup\n");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].mount_point, "/mnt/my cg");
  EXPECT_EQ(unified_mount(m), "/sys/fs/cgroup");
  EXPECT_EQ(locate_cgroups({}, "").mode, "");
}

TEST(CgroupTree, PreOrderNaturalDepthLimited) {
  TempTree t;
  for (const char* d : {"a/pod10/c", "a/pod2", "b"}) t.write(std::string("cg/") + d + "/cpu.stat", "");
  t.write("cg/cpu.max", "");
  Host h(t.path());
  EXPECT_EQ(walk_cgroup_tree(h, "/cg", -1),
            (std::vector<std::string>{"/", "/a", "/a/pod2", "/a/pod10", "/a/pod10/c", "/b"}));
  EXPECT_EQ(walk_cgroup_tree(h, "/cg", 1), (std::vector<std::string>{"/", "/a", "/b"}));
  EXPECT_EQ(walk_cgroup_tree(h, "/cg", 0), (std::vector<std::string>{"/"}));
  EXPECT_TRUE(walk_cgroup_tree(h, "/missing", -1).empty());
  EXPECT_EQ(cgroup_parent("/a/b"), "/a");
  EXPECT_EQ(cgroup_parent("/a"), "/");
  EXPECT_EQ(cgroup_parent("/"), "");
}

TEST(Cgroup, UnifiedQuotaAndCpusetInheritToEffectiveCpus) {
  TempTree t;
  write_v2_host(t);
  ProbeErrors errors;
  Cgroups c = probe_cgroups(Host(t.path()), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_EQ(c.mode, "unified");
  EXPECT_EQ(c.cpu_controller, "v2");
  EXPECT_EQ(c.cpuset_controller, "v2");
  EXPECT_EQ(c.cpu_mount, "/sys/fs/cgroup");
  ASSERT_EQ(c.groups.size(), 5u);
  EXPECT_EQ(c.groups[0].path, "/");

  const auto& root = group(c, "/");
  EXPECT_EQ(root.cpu_max, std::nullopt);  // the root has no cpu.max
  ASSERT_TRUE(root.stat);                  // the root reports its (zero) throttling like any group
  EXPECT_EQ(root.stat->nr_periods, 0);
  EXPECT_EQ(root.stat->nr_throttled, 0);
  EXPECT_EQ(root.stat->throttled_usec, 0);
  EXPECT_EQ(root.effective_cpus, 8.0);

  const auto& work = group(c, "/work.slice");
  EXPECT_EQ(work.version, "v2");
  EXPECT_EQ(work.cpu_max, "150000 100000");
  EXPECT_EQ(work.cpu_max_burst, 0);
  EXPECT_EQ(work.cpu_weight, 100);
  EXPECT_EQ(work.cpu_shares, std::nullopt);
  EXPECT_EQ(work.cpuset_cpus, "");  // empty: inherits the parent's
  EXPECT_EQ(work.cpuset_cpus_effective, "0-7");
  EXPECT_EQ(work.effective_cpus, 1.5);

  const auto& job = group(c, "/work.slice/job.scope");
  EXPECT_EQ(job.cpu_max, "max 100000");
  EXPECT_EQ(job.cpuset_cpus, "2-5");
  EXPECT_EQ(job.effective_cpus, 1.5);  // the parent's quota is tighter than its own 4 CPUs
  ASSERT_TRUE(job.stat);
  EXPECT_EQ(job.stat->nr_periods, 184302);
  EXPECT_EQ(job.stat->nr_throttled, 20931);
  EXPECT_EQ(job.stat->throttled_usec, 912345678);

  EXPECT_EQ(group(c, "/work.slice/pinned.scope").effective_cpus, 1.0);  // cpuset tighter than quota

  const auto& sys = group(c, "/system.slice");
  EXPECT_EQ(sys.cpu_max, std::nullopt);
  EXPECT_EQ(sys.cpuset_cpus_effective, std::nullopt);
  EXPECT_EQ(sys.effective_cpus, 8.0);
  EXPECT_EQ(sys.stat, std::nullopt);  // cpu not delegated: usage only, no throttling keys

  json j = c;
  EXPECT_EQ(json(j.get<Cgroups>()), j);
}

TEST(Cgroup, DepthLimitsTheWalk) {
  TempTree t;
  write_v2_host(t);
  ProbeErrors errors;
  Cgroups c = probe_cgroups(Host(t.path()), errors, 1);
  ASSERT_EQ(c.groups.size(), 3u);
  EXPECT_EQ(c.groups[1].path, "/system.slice");
  EXPECT_EQ(c.groups[2].path, "/work.slice");
}

TEST(Cgroup, HybridV1MapsQuotaSharesAndThrottledTime) {
  TempTree t;
  write_hybrid_host(t);
  ProbeErrors errors;
  Cgroups c = probe_cgroups(Host(t.path()), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_EQ(c.mode, "hybrid");
  EXPECT_EQ(c.cpu_controller, "v1");
  EXPECT_EQ(c.cpuset_controller, "v1");
  EXPECT_EQ(c.cpu_mount, "/sys/fs/cgroup/cpu");
  EXPECT_EQ(c.unified_mount, "/sys/fs/cgroup/unified");

  const auto& root = group(c, "/");
  EXPECT_EQ(root.version, "v1");
  EXPECT_EQ(root.cpu_max, "max 100000");
  EXPECT_EQ(root.cpu_shares, 1024);
  EXPECT_EQ(root.cpu_weight, 39);  // 1 + (1022 * 9999) / 262142
  EXPECT_EQ(root.cpuset_cpus_effective, "0-1");
  EXPECT_EQ(root.effective_cpus, 2.0);

  const auto& web = group(c, "/docker/web");
  EXPECT_EQ(web.cpu_max, "50000 100000");
  EXPECT_EQ(web.cpu_max_burst, 0);
  EXPECT_EQ(web.cpu_shares, 512);
  EXPECT_EQ(web.cpu_weight, 20);  // 1 + (510 * 9999) / 262142
  EXPECT_EQ(web.effective_cpus, 0.5);
  ASSERT_TRUE(web.stat);
  EXPECT_EQ(web.stat->nr_throttled, 98211);
  EXPECT_EQ(web.stat->throttled_usec, 4123456789);  // ns -> usec

  // A group only the cpuset hierarchy has: no cpu fields, its own cpuset limits it.
  const auto& pinned = group(c, "/pinned");
  EXPECT_EQ(pinned.cpu_max, std::nullopt);
  EXPECT_EQ(pinned.cpu_weight, std::nullopt);
  EXPECT_EQ(pinned.cpuset_cpus, "0");
  EXPECT_EQ(pinned.effective_cpus, 1.0);
}

TEST(Cgroup, MalformedFilesBecomePerFieldErrors) {
  TempTree t;
  write_hybrid_host(t);
  t.write("sys/fs/cgroup/cpu/docker/cpu.cfs_quota_us", "fifty\n");
  t.write("sys/fs/cgroup/cpu/docker/web/cpu.cfs_period_us", "0\n");
  t.write("sys/fs/cgroup/cpu/docker/web/cpu.stat", "nr_periods 5\nnr_throttled\n");  // truncated
  t.write("sys/fs/cgroup/cpuset/docker/web/cpuset.cpus", "1-\n");
  t.write("sys/fs/cgroup/cpuset/docker/web/cpuset.effective_cpus", "x\n");
  // Unreadable (we may run as root, so no chmod): a link to a directory reads as EISDIR, and the
  // walk must not take it for a child group.
  std::filesystem::remove(t.path() + "/sys/fs/cgroup/cpu/docker/cpu.shares");
  t.symlink("/sys", "sys/fs/cgroup/cpu/docker/cpu.shares");

  ProbeErrors errors;
  Cgroups c = probe_cgroups(Host(t.path()), errors);
  EXPECT_TRUE(has_error(errors, "/sys/fs/cgroup/cpu/docker/cpu.cfs_quota_us: not an integer: 'fifty'"))
      << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, "/sys/fs/cgroup/cpu/docker/web/cpu.cfs_period_us: period must be positive"));
  EXPECT_TRUE(has_error(errors, "/sys/fs/cgroup/cpu/docker/web/cpu.stat: unparsable line 'nr_throttled'"));
  EXPECT_TRUE(has_error(errors, "/sys/fs/cgroup/cpuset/docker/web/cpuset.cpus: bad cpulist"));
  EXPECT_TRUE(has_error(errors, "/sys/fs/cgroup/cpuset/docker/web/cpuset.effective_cpus: bad cpulist"));
  EXPECT_TRUE(has_error(errors, "/sys/fs/cgroup/cpu/docker/cpu.shares: Is a directory"));
  EXPECT_EQ(errors.size(), 6u) << ::testing::PrintToString(errors);

  EXPECT_EQ(group(c, "/docker").cpu_max, std::nullopt);
  EXPECT_EQ(group(c, "/docker").cpu_shares, std::nullopt);
  const auto& web = group(c, "/docker/web");
  EXPECT_EQ(web.cpu_max, std::nullopt);
  EXPECT_EQ(web.cpuset_cpus, std::nullopt);
  EXPECT_EQ(web.cpu_shares, 512);  // the rest of the group still read
  EXPECT_EQ(web.stat->nr_periods, 5);
  EXPECT_EQ(web.stat->nr_throttled, std::nullopt);
  EXPECT_EQ(web.effective_cpus, 2.0);  // nothing readable limits it below the parent
}

TEST(Cgroup, GarbageV2CpuMaxIsAnError) {
  TempTree t;
  write_v2_host(t);
  for (const char* bad : {"max", "0 100000", "max 0", "50000 100000 7", "abc 100000", ""}) {
    t.write("sys/fs/cgroup/work.slice/cpu.max", std::string(bad) + "\n");
    ProbeErrors errors;
    Cgroups c = probe_cgroups(Host(t.path()), errors);
    EXPECT_TRUE(has_error(errors, "/sys/fs/cgroup/work.slice/cpu.max: expected")) << bad;
    EXPECT_EQ(group(c, "/work.slice").cpu_max, std::nullopt) << bad;
    EXPECT_EQ(group(c, "/work.slice/job.scope").effective_cpus, 4.0) << bad;
  }
}

TEST(Cgroup, NoCgroupMountIsUnavailable) {
  TempTree t;
  t.write("proc/self/mountinfo", "23 1 0:21 / /sys rw - sysfs sysfs rw\n");
  Snapshot s = take_snapshot(Host(t.path()), {"cgroup"});
  EXPECT_FALSE(s.cgroups.has_value());
  EXPECT_NE(s.unavailable.at("cgroup").find("no cgroup"), std::string::npos);
  Snapshot s2 = take_snapshot(Host(t.path() + "/nowhere"), {"cgroup"});
  EXPECT_NE(s2.unavailable.at("cgroup").find("/proc/self/mountinfo"), std::string::npos);
}

// Inheritance stays right across many groups (cost is measured by the probe benchmark, not here:
// writing big trees is slow on some disks).
TEST(Cgroup, ManyGroupsInheritTheirSliceQuota) {
  TempTree t;
  write_v2_host(t);
  for (int s = 0; s < 10; ++s) {
    t.write("sys/fs/cgroup/big.slice/s" + std::to_string(s) + "/cpu.max", s % 2 ? "max 100000\n" : "50000 100000\n");
    for (int p = 0; p < 50; ++p)
      t.write("sys/fs/cgroup/big.slice/s" + std::to_string(s) + "/pod" + std::to_string(p) + "/cpu.max",
              p % 5 ? "max 100000\n" : "300000 100000\n");
  }
  ProbeErrors errors;
  Cgroups c = probe_cgroups(Host(t.path()), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_EQ(c.groups.size(), 5u + 1 + 10 + 500);
  EXPECT_EQ(group(c, "/big.slice/s8/pod10").effective_cpus, 0.5);
  EXPECT_EQ(group(c, "/big.slice/s9/pod10").effective_cpus, 3.0);
  EXPECT_EQ(group(c, "/big.slice/s9/pod11").effective_cpus, 8.0);
  // Pre-order: every group comes after its parent.
  std::set<std::string> seen{"/"};
  for (size_t i = 1; i < c.groups.size(); ++i) {
    EXPECT_TRUE(seen.count(cgroup_parent(c.groups[i].path))) << c.groups[i].path;
    seen.insert(c.groups[i].path);
  }
}

// A v2 root's cpu.stat prints nr_periods, nr_throttled, throttled_usec (and the burst counters) as
// zeros: the kernel has no root exclusion there. The probe reports them like any group's.
namespace {
void expect_zero_root_throttling(const Cgroups& c) {
  const auto& root = group(c, "/");
  ASSERT_TRUE(root.stat) << "root cpu.stat throttling dropped";
  EXPECT_EQ(root.stat->nr_periods, 0);
  EXPECT_EQ(root.stat->nr_throttled, 0);
  EXPECT_EQ(root.stat->throttled_usec, 0);
}
}  // namespace

TEST(CgroupFixture, KubernetesPodLimitsOnCgroupV2) {
  const std::string root = tunectl::test::fixture_host("metal-2s-mlx5-k8s");
  ASSERT_TRUE(Host("/").is_dir(root + "/sys/fs/cgroup/kubepods.slice")) << "fixture tree missing: " << root;
  ProbeErrors errors;
  Cgroups c = probe_cgroups(Host(root), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_EQ(c.mode, "unified");
  EXPECT_EQ(c.cpu_controller, "v2");
  expect_zero_root_throttling(c);
  const std::string burstable =
      "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod3f1c2a8e_5b7d_4c1e_9a2f_0c6d8e4b1a7f.slice";
  EXPECT_EQ(group(c, burstable).cpu_max, "200000 100000");
  EXPECT_EQ(group(c, burstable).effective_cpus, 2.0);
  const auto& throttled = group(c, burstable + "/cri-containerd-9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0.scope");
  EXPECT_EQ(throttled.effective_cpus, 2.0);
  EXPECT_EQ(throttled.cpu_weight, 39);
  ASSERT_TRUE(throttled.stat);
  EXPECT_EQ(throttled.stat->nr_periods, 184302);
  EXPECT_EQ(throttled.stat->nr_throttled, 20931);
  EXPECT_EQ(throttled.stat->throttled_usec, 912345678);
  // The unlimited sidecar inherits the pod's quota.
  EXPECT_EQ(group(c, burstable + "/cri-containerd-4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c.scope")
                .effective_cpus, 2.0);
  const auto& guaranteed = group(
      c, "/kubepods.slice/kubepods-pod8a7b6c5d_4e3f_2a1b_0c9d_8e7f6a5b4c3d.slice/"
         "cri-containerd-1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d.scope");
  EXPECT_EQ(guaranteed.cpuset_cpus_effective, "2-3,34-35");
  EXPECT_EQ(guaranteed.effective_cpus, 4.0);
  EXPECT_EQ(group(c, "/system.slice/kubelet.service").effective_cpus, 64.0);
}

TEST(CgroupFixture, DockerOnCgroupV1) {
  const std::string root = tunectl::test::fixture_host("intel-i40e-cgv1");
  ASSERT_TRUE(Host("/").is_dir(root + "/sys/fs/cgroup/cpuset/docker")) << "fixture tree missing: " << root;
  ProbeErrors errors;
  Cgroups c = probe_cgroups(Host(root), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_EQ(c.mode, "legacy");
  EXPECT_EQ(c.cpu_controller, "v1");
  EXPECT_EQ(c.cpu_mount, "/sys/fs/cgroup/cpu,cpuacct");
  const auto& limited = group(c, "/docker/5d1c0e2b7a9f4e3d8c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d");
  EXPECT_EQ(limited.cpu_max, "150000 100000");
  EXPECT_EQ(limited.cpu_max_burst, std::nullopt);  // 4.18 has no cfs_burst_us
  EXPECT_EQ(limited.effective_cpus, 1.5);
  EXPECT_EQ(limited.cpu_weight, 20);
  EXPECT_EQ(limited.stat->throttled_usec, 4123456789);
  const auto& pinned = group(c, "/docker/b7e2c91f0a3d4c5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e");
  EXPECT_EQ(pinned.cpu_max, "max 100000");
  EXPECT_EQ(pinned.effective_cpus, 2.0);
  EXPECT_EQ(group(c, "/user.slice").effective_cpus, 48.0);
}

TEST(CgroupFixture, CloudVmServiceQuotasWithoutCpuset) {
  const std::string root = tunectl::test::fixture_host("cloud-ena");
  ASSERT_TRUE(Host("/").is_dir(root + "/sys/fs/cgroup/system.slice")) << "fixture tree missing: " << root;
  ProbeErrors errors;
  Cgroups c = probe_cgroups(Host(root), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_EQ(c.mode, "unified");
  expect_zero_root_throttling(c);
  const auto& batch = group(c, "/system.slice/batch-worker.service");
  EXPECT_EQ(batch.cpu_max, "50000 100000");
  EXPECT_EQ(batch.cpuset_cpus_effective, std::nullopt);  // cpuset not delegated to services
  EXPECT_EQ(batch.effective_cpus, 0.5);
  EXPECT_EQ(batch.stat->nr_throttled, 61002);
  EXPECT_EQ(group(c, "/system.slice/api-server.service").effective_cpus, 1.5);
}

TEST(CgroupFixture, EveryFixtureProbesWithoutErrors) {
  for (const char* name : {"vm", "metal-2s-mlx5-k8s", "intel-i40e-cgv1", "cloud-ena"}) {
    const std::string root = tunectl::test::fixture_host(name);
    ASSERT_TRUE(Host("/").exists(root + "/proc/self/mountinfo")) << "fixture tree missing: " << root;
    ProbeErrors errors;
    Cgroups c = probe_cgroups(Host(root), errors);
    EXPECT_TRUE(errors.empty()) << name << ": " << ::testing::PrintToString(errors);
    ASSERT_FALSE(c.groups.empty()) << name;
    EXPECT_EQ(c.groups[0].path, "/") << name;
    for (const auto& g : c.groups) EXPECT_TRUE(g.effective_cpus && *g.effective_cpus > 0) << name << " " << g.path;
  }
}
