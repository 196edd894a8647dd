#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "probes/cmdline.h"
#include "probes/snapshot.h"
#include "probes/topology.h"
#include "tests/unit/test_helpers.h"

using namespace tunectl;
using tunectl::test::TempTree;

namespace {

bool has_error(const ProbeErrors& errors, const std::string& needle) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(needle) != std::string::npos; });
}

// One online CPU's topology files, formats as this VM's 6.18 kernel prints them.
void write_cpu(const TempTree& t, int cpu, int core, int package, const std::string& siblings,
               const char* online = nullptr) {
  const std::string d = "sys/devices/system/cpu/cpu" + std::to_string(cpu);
  if (online) t.write(d + "/online", online);
  t.write(d + "/topology/core_id", std::to_string(core) + "\n");
  t.write(d + "/topology/physical_package_id", std::to_string(package) + "\n");
  t.write(d + "/topology/die_id", std::to_string(package) + "\n");
  t.write(d + "/topology/cluster_id", "65535\n");
  t.write(d + "/topology/thread_siblings_list", siblings + "\n");
}

void write_node(const TempTree& t, int node, const std::string& cpus, const std::string& distance,
                int64_t total, int64_t free) {
  const std::string d = "sys/devices/system/node/node" + std::to_string(node);
  t.write(d + "/cpulist", cpus + "\n");
  t.write(d + "/distance", distance + "\n");
  char mem[256];
  std::snprintf(mem, sizeof mem,
                "Node %d MemTotal:       %8lld kB\nNode %d MemFree:        %8lld kB\nNode %d MemUsed:         251612 kB\n",
                node, static_cast<long long>(total), node, static_cast<long long>(free), node);
  t.write(d + "/meminfo", mem);
}

// 2 sockets x 2 cores x 2 threads; cpu7 offline (its topology directory is gone, as on Linux).
void write_two_node_host(const TempTree& t) {
  t.write("sys/devices/system/cpu/online", "0-6\n");
  t.write("sys/devices/system/cpu/possible", "0-7\n");
  t.write("sys/devices/system/cpu/isolated", "2,6\n");
  t.write("sys/devices/system/cpu/nohz_full", "2,6\n");
  write_cpu(t, 0, 0, 0, "0,4");  // cpu0: no online file
  write_cpu(t, 1, 1, 0, "1,5", "1\n");
  write_cpu(t, 2, 0, 1, "2,6", "1\n");
  write_cpu(t, 3, 1, 1, "3", "1\n");
  write_cpu(t, 4, 0, 0, "0,4", "1\n");
  write_cpu(t, 5, 1, 0, "1,5", "1\n");
  write_cpu(t, 6, 0, 1, "2,6", "1\n");
  t.write("sys/devices/system/cpu/cpu7/online", "0\n");
  write_node(t, 0, "0-1,4-5", "10 21", 4810964, 4559352);
  write_node(t, 1, "2-3,6-7", "21 10", 8000000, 100);
  t.write("sys/devices/system/node/online", "0-1\n");
  t.write("proc/cmdline",
          "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro isolcpus=managed_irq,domain,2,6 nohz_full=2,6 quiet "
          "rcu_nocbs=2,6 irqaffinity=0-1 transparent_hugepage=madvise -- --init-arg isolcpus=9\n");
  t.write("proc/cpuinfo",
          "processor\t: 0\nvendor_id\t: GenuineIntel\n"
          "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep hypervisor lahf_lm\n\n");
}

const CpuInfo& cpu(const Topology& t, int n) {
  return *std::find_if(t.cpus.begin(), t.cpus.end(), [&](const CpuInfo& c) { return c.cpu == n; });
}

}  // namespace

TEST(Topology, ReadsCpusNodesAndIsolation) {
  TempTree t;
  write_two_node_host(t);
  ProbeErrors errors;
  Topology topo = probe_topology(Host(t.path()), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);

  ASSERT_EQ(topo.cpus.size(), 8u);
  EXPECT_TRUE(cpu(topo, 0).online);  // no online file: not hot-pluggable, online
  EXPECT_FALSE(cpu(topo, 7).online);
  EXPECT_EQ(cpu(topo, 7).core, std::nullopt);
  EXPECT_EQ(cpu(topo, 2).package, 1);
  EXPECT_EQ(cpu(topo, 2).die, 1);
  EXPECT_EQ(cpu(topo, 2).cluster, 65535);
  EXPECT_EQ(cpu(topo, 5).core, 1);
  EXPECT_EQ(cpu(topo, 5).siblings, "1,5");
  EXPECT_EQ(cpu(topo, 3).siblings, "3");
  EXPECT_EQ(cpu(topo, 4).node, 0);
  EXPECT_EQ(cpu(topo, 6).node, 1);
  EXPECT_EQ(cpu(topo, 7).node, 1);  // offline CPUs still belong to their node

  ASSERT_EQ(topo.nodes.size(), 2u);
  EXPECT_EQ(topo.nodes[0].cpus, "0-1,4-5");
  EXPECT_EQ(topo.nodes[0].mem_total_kb, 4810964);
  EXPECT_EQ(topo.nodes[0].mem_free_kb, 4559352);
  EXPECT_EQ(topo.nodes[1].mem_free_kb, 100);
  EXPECT_EQ(topo.nodes[1].distances, (std::vector<int>{21, 10}));

  EXPECT_EQ(topo.online, "0-6");
  EXPECT_EQ(topo.possible, "0-7");
  EXPECT_EQ(topo.isolated, "2,6");
  EXPECT_EQ(topo.nohz_full, "2,6");
  EXPECT_EQ(topo.cmdline.at("isolcpus"), "managed_irq,domain,2,6");  // init's words after "--" ignored
  EXPECT_EQ(topo.cmdline.at("nohz_full"), "2,6");
  EXPECT_EQ(topo.cmdline.at("rcu_nocbs"), "2,6");
  EXPECT_EQ(topo.cmdline.at("irqaffinity"), "0-1");
  EXPECT_EQ(topo.cmdline.at("transparent_hugepage"), "madvise");
  EXPECT_EQ(topo.cmdline.count("root"), 0u);
  EXPECT_TRUE(topo.virtualized);
  EXPECT_EQ(topo.hypervisor, std::nullopt);
}

TEST(Topology, HelpersAnswerForThePlanner) {
  TempTree t;
  write_two_node_host(t);
  ProbeErrors errors;
  Topology topo = probe_topology(Host(t.path()), errors);
  EXPECT_EQ(topo.online_cpus(), (CpuSet{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(topo.node_cpus(1), (CpuSet{2, 3, 6, 7}));
  EXPECT_TRUE(topo.node_cpus(5).empty());
  EXPECT_EQ(topo.node_of(5), 0);
  EXPECT_EQ(topo.node_of(6), 1);
  EXPECT_EQ(topo.node_of(99), std::nullopt);
  EXPECT_EQ(topo.isolated_cpus(), (CpuSet{2, 6}));
}

TEST(Topology, NonNumaKernelIsOneNodeWithEverything) {
  TempTree t;
  t.write("sys/devices/system/cpu/online", "0-1\n");
  t.write("sys/devices/system/cpu/possible", "0-1\n");
  write_cpu(t, 0, 0, 0, "0");
  write_cpu(t, 1, 1, 0, "1", "1\n");
  t.write("proc/meminfo", "MemTotal:        4810964 kB\nMemFree:         4559352 kB\nMemAvailable:    4600000 kB\n");
  t.write("proc/cmdline", "console=ttyS0 quiet\n");
  t.write("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme\n");
  t.write("sys/hypervisor/type", "xen\n");
  ProbeErrors errors;
  Topology topo = probe_topology(Host(t.path()), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  ASSERT_EQ(topo.nodes.size(), 1u);
  EXPECT_EQ(topo.nodes[0].node, 0);
  EXPECT_EQ(topo.nodes[0].cpus, "0-1");
  EXPECT_EQ(topo.nodes[0].mem_total_kb, 4810964);
  EXPECT_EQ(topo.nodes[0].distances, std::vector<int>{10});
  EXPECT_EQ(cpu(topo, 1).node, 0);
  EXPECT_EQ(topo.nohz_full, "");  // no file: kernel without CONFIG_NO_HZ_FULL
  EXPECT_FALSE(topo.virtualized);
  EXPECT_EQ(topo.hypervisor, "xen");
  EXPECT_TRUE(topo.cmdline.empty());
}

TEST(Topology, MalformedFilesBecomePerFieldErrors) {
  TempTree t;
  write_two_node_host(t);
  t.write("sys/devices/system/node/node1/cpulist", "2-,x\n");                       // garbage cpulist
  t.write("sys/devices/system/node/node0/meminfo", "Node 0 MemTotal:       48");    // truncated
  t.write("sys/devices/system/node/node0/distance", "10 twenty\n");
  t.write("sys/devices/system/cpu/cpu1/topology/core_id", "");                     // empty
  t.write("sys/devices/system/cpu/cpu2/online", "yes\n");
  std::remove((t.path() + "/sys/devices/system/cpu/cpu5/topology/thread_siblings_list").c_str());
  t.write("sys/devices/system/cpu/cpu5/topology/thread_siblings_list/x", "");       // a dir: EISDIR
  t.write("sys/devices/system/cpu/nohz_full", "(null)\n");
  // cpu3 lost its package id (missing file on an online CPU)
  std::remove((t.path() + "/sys/devices/system/cpu/cpu3/topology/physical_package_id").c_str());

  ProbeErrors errors;
  Topology topo = probe_topology(Host(t.path()), errors);
  EXPECT_TRUE(has_error(errors, "/sys/devices/system/node/node1/cpulist: bad cpulist")) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, "/sys/devices/system/node/node0/meminfo: no MemTotal/MemFree"));
  EXPECT_TRUE(has_error(errors, "/sys/devices/system/node/node0/distance: 'twenty' is not a number"));
  EXPECT_TRUE(has_error(errors, "/sys/devices/system/cpu/cpu1/topology/core_id: not an integer"));
  EXPECT_TRUE(has_error(errors, "/sys/devices/system/cpu/cpu2/online: not an integer"));
  EXPECT_TRUE(has_error(errors, "/sys/devices/system/cpu/cpu5/topology/thread_siblings_list: Is a directory"));
  EXPECT_TRUE(has_error(errors, "/sys/devices/system/cpu/cpu3/topology/physical_package_id: No such file"));
  EXPECT_EQ(errors.size(), 7u) << ::testing::PrintToString(errors);

  EXPECT_EQ(topo.nodes[1].cpus, "");
  EXPECT_EQ(cpu(topo, 6).node, std::nullopt);
  EXPECT_EQ(topo.nodes[0].mem_total_kb, std::nullopt);
  EXPECT_TRUE(topo.nodes[0].distances.empty());
  EXPECT_EQ(cpu(topo, 1).core, std::nullopt);
  EXPECT_TRUE(cpu(topo, 2).online);  // falls back to the global online list
  EXPECT_EQ(cpu(topo, 5).siblings, "");
  EXPECT_EQ(cpu(topo, 3).package, std::nullopt);
  EXPECT_EQ(cpu(topo, 3).core, 1);
  EXPECT_EQ(topo.nohz_full, "");  // "(null)": feature built in, no CPUs
}

TEST(Topology, NoCpuDirectoryMakesTheAreaUnavailable) {
  TempTree t;
  t.write("proc/sys/kernel/hostname", "empty\n");
  Snapshot s = take_snapshot(Host(t.path()), {"topology"});
  EXPECT_FALSE(s.topology.has_value());
  EXPECT_NE(s.unavailable.at("topology").find("/sys/devices/system/cpu"), std::string::npos);
}

TEST(Topology, JsonRoundTrip) {
  TempTree t;
  write_two_node_host(t);
  ProbeErrors errors;
  Topology topo = probe_topology(Host(t.path()), errors);
  json j = topo;
  EXPECT_EQ(j["cpus"][7]["core"], nullptr);
  EXPECT_EQ(j["nodes"][1]["distances"], json({21, 10}));
  Topology back = j.get<Topology>();
  EXPECT_EQ(json(back), j);
}

TEST(KernelCmdline, ParsesFlagsValuesQuotesAndLastWins) {
  auto p = parse_kernel_cmdline("ro nosmt isolcpus=1 foo=\"a b\" isolcpus=2-3 -- isolcpus=9\n");
  EXPECT_EQ(p.at("ro"), "");
  EXPECT_EQ(p.at("nosmt"), "");
  EXPECT_EQ(p.at("foo"), "a b");
  EXPECT_EQ(p.at("isolcpus"), "2-3");
  EXPECT_TRUE(parse_kernel_cmdline("").empty());
  EXPECT_TRUE(parse_kernel_cmdline("\"unterminated").count("unterminated"));
}

TEST(TopologyFixture, MetalTwoSocket) {
  const std::string root = tunectl::test::fixture_host("metal-2s-mlx5-k8s");
  ASSERT_TRUE(Host("/").exists(root + "/sys/devices/system/node")) << "fixture tree missing: " << root;
  ProbeErrors errors;
  Topology topo = probe_topology(Host(root), errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_EQ(topo.cpus.size(), 64u);
  EXPECT_EQ(topo.online_cpus().size(), 64u);
  ASSERT_EQ(topo.nodes.size(), 2u);
  EXPECT_EQ(topo.nodes[0].cpus, "0-15,32-47");
  EXPECT_EQ(topo.nodes[0].distances, (std::vector<int>{10, 21}));
  EXPECT_EQ(topo.nodes[1].distances, (std::vector<int>{21, 10}));
  EXPECT_EQ(topo.nodes[1].mem_total_kb, 200540160);
  EXPECT_EQ(cpu(topo, 1).siblings, "1,33");
  EXPECT_EQ(cpu(topo, 63).package, 1);
  EXPECT_EQ(cpu(topo, 63).core, 18);
  EXPECT_EQ(topo.node_of(16), 1);
  EXPECT_EQ(topo.node_of(40), 0);
  EXPECT_EQ(topo.isolated, "8-15,40-47");
  EXPECT_EQ(topo.nohz_full, "8-15,40-47");
  EXPECT_EQ(topo.cmdline.at("isolcpus"), "managed_irq,domain,8-15,40-47");
  EXPECT_EQ(topo.cmdline.at("irqaffinity"), "0-7,16-39,48-63");
  EXPECT_EQ(topo.cmdline.at("transparent_hugepage"), "always");
  EXPECT_FALSE(topo.virtualized);
}

TEST(TopologyFixture, EveryFixtureProbesWithoutErrors) {
  for (const char* name : {"vm", "metal-2s-mlx5-k8s", "intel-i40e-cgv1", "cloud-ena"}) {
    const std::string root = tunectl::test::fixture_host(name);
    ASSERT_TRUE(Host("/").is_dir(root + "/sys/devices/system/cpu")) << "fixture tree missing: " << root;
    ProbeErrors errors;
    Topology topo = probe_topology(Host(root), errors);
    EXPECT_TRUE(errors.empty()) << name << ": " << ::testing::PrintToString(errors);
    EXPECT_FALSE(topo.cpus.empty()) << name;
    EXPECT_FALSE(topo.nodes.empty()) << name;
    // Every CPU in some node's cpulist, and each node's distance row as long as the node count.
    for (const auto& c : topo.cpus) EXPECT_TRUE(c.node.has_value()) << name << " cpu" << c.cpu;
    for (const auto& n : topo.nodes) EXPECT_EQ(n.distances.size(), topo.nodes.size()) << name;
  }
}
