// Probing at fleet scale (issue 13): the directory handle the IRQ probe reads through (same bytes,
// same messages, same confinement as Host), sparse per-CPU counts in snapshot/2 and the full form,
// snapshot/1 still read, and plans that probe only the areas their profile reads.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <numeric>

#include "core/errors.h"
#include "core/host_dir.h"
#include "core/parallel_chunks.h"
#include "core/parse.h"
#include "probes/snapshot.h"
#include "tests/unit/test_helpers.h"
#include "tuner/plan/planner.h"
#include "tuner/profile/profile.h"

namespace tunectl {
namespace {

using test::TempTree;

const char* const kFixtures[] = {"vm", "cloud-ena", "intel-i40e-cgv1", "metal-2s-mlx5-k8s"};

// --- HostDir -------------------------------------------------------------------------------------

TEST(HostDir, ReadsEveryIrqFileOfEveryFixtureExactlyAsHostDoes) {
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    const Host host(test::fixture_host(name));
    for (const std::string base : {"/proc/irq", "/sys/kernel/irq"}) {
      const HostDir top = host.open_dir(base);
      ASSERT_TRUE(top.ok());
      size_t files = 0;
      for (const auto& n : host.list(base)) {
        const HostDir dir = top.dir(n);
        EXPECT_EQ(dir.ok(), host.is_dir(base + "/" + n)) << n;
        const std::vector<std::string> names = dir.ok() ? host.list(base + "/" + n) : std::vector<std::string>{n};
        for (const auto& f : names) {
          const HostDir& from = dir.ok() ? dir : top;
          const std::string path = from.full(f);
          const ReadResult a = host.read(path), b = from.read(f);
          EXPECT_EQ(a.ok, b.ok) << path;
          EXPECT_EQ(a.data, b.data) << path;
          EXPECT_EQ(a.error, b.error) << path;
          EXPECT_EQ(host.is_read_only(path), from.is_read_only(f)) << path;
          EXPECT_EQ(host.exists(path), from.exists(f)) << path;
          ++files;
        }
      }
      EXPECT_GT(files, 0u) << base;
    }
  }
}

TEST(HostDir, MissingDirectoryAndFilesGiveHostsMessages) {
  const Host host(test::fixture_host("vm"));
  const HostDir missing = host.open_dir("/proc/irq/99999");
  EXPECT_FALSE(missing.ok());
  const ReadResult r = missing.read("node");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.err, ENOENT);
  EXPECT_EQ(r.error, host.read("/proc/irq/99999/node").error);
  EXPECT_FALSE(missing.exists("node"));
  EXPECT_FALSE(host.open_dir("/proc/irq").dir("default_smp_affinity").ok());  // a file, not a directory
}

// A link inside the directory is resolved by Host, inside the tree: an absolute target starts at
// the tree's root, ".." stops there. Nothing outside the tree is read.
TEST(HostDir, LinksResolveInsideTheTree) {
  TempTree t;
  t.write("etc/hostname", "inside\n");
  t.write("proc/irq/5/node", "0\n");
  t.symlink("/etc/hostname", "proc/irq/5/abs");
  t.symlink("../../../../../../../../etc/hostname", "proc/irq/5/dots");
  t.symlink("/etc", "proc/irq/6");
  const Host host(t.path());
  const HostDir dir = host.open_dir("/proc/irq/5");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir.read("abs").data, "inside\n");
  EXPECT_EQ(dir.read("dots").data, "inside\n");
  EXPECT_EQ(dir.read("../../../etc/hostname").data, "inside\n");  // not one component: through Host
  const HostDir linked = host.open_dir("/proc/irq").dir("6");     // a directory link, through Host
  ASSERT_TRUE(linked.ok());
  EXPECT_EQ(linked.read("hostname").data, "inside\n");
}

TEST(HostDir, RefusesWhatHostRefuses) {
  TempTree t;
  t.fifo("proc/irq/5/node");
  t.write("proc/irq/5/sub/x", "1\n");
  const Host host(t.path());
  const HostDir dir = host.open_dir("/proc/irq/5");
  const ReadResult fifo = dir.read("node");  // must not block
  EXPECT_FALSE(fifo.ok);
  EXPECT_EQ(fifo.error, host.read("/proc/irq/5/node").error);
  EXPECT_EQ(dir.read("sub").err, EISDIR);
}

// A tree's device node is refused without being read, by HostDir as by Host, whether or not the
// directory's listing named it (the listing says "character device": the fstat check runs).
TEST(HostDir, ADeviceNodeInATreeIsRefusedNotRead) {
  TempTree t;
  t.write("proc/irq/5/smp_affinity_list", "0-3\n");
  const std::string node = t.path() + "/proc/irq/5/node";
  ASSERT_EQ(::mknod(node.c_str(), S_IFCHR | 0444, makedev(1, 5)), 0)  // /dev/zero's numbers
      << node << ": " << std::strerror(errno) << " (the unit tests run as root)";
  const Host host(t.path());
  const HostDir dir = host.open_dir("/proc/irq/5");
  ASSERT_TRUE(dir.ok());
  const ReadResult r = dir.read("node");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.err, EINVAL);
  EXPECT_EQ(r.error, "/proc/irq/5/node: not a regular file");
  EXPECT_EQ(r.error, host.read("/proc/irq/5/node").error);
  EXPECT_TRUE(r.data.empty());
  EXPECT_EQ(dir.read("smp_affinity_list").data, "0-3\n");
}

// A directory lists its entries' types once, up to 8 KiB of them. Entries past that listing are
// checked as before: a FIFO is refused, a file is read; whichever order the filesystem lists in,
// one FIFO and one file of each pair below are past the listing (1000 long names ~ 64 KiB).
TEST(HostDir, EntriesPastTheFirstListingAreStillCheckedAndRead) {
  TempTree t;
  t.fifo("d/aa_fifo");
  t.write("d/aa_file", "first\n");
  for (int i = 0; i < 1000; ++i) t.write("d/padding_entry_with_a_long_name_" + std::to_string(i), "x");
  t.fifo("d/zz_fifo");
  t.write("d/zz_file", "last\n");
  const Host host(t.path());
  const HostDir dir = host.open_dir("/d");
  ASSERT_TRUE(dir.ok());
  for (const char* fifo : {"aa_fifo", "zz_fifo"}) {
    const ReadResult r = dir.read(fifo);  // must not block
    EXPECT_FALSE(r.ok) << fifo;
    EXPECT_EQ(r.error, "/d/" + std::string(fifo) + ": not a regular file");
  }
  EXPECT_EQ(dir.read("aa_file").data, "first\n");
  EXPECT_EQ(dir.read("zz_file").data, "last\n");
  EXPECT_EQ(dir.read("padding_entry_with_a_long_name_999").data, "x");
}

// A listed regular file is read to its end however large: one read when it fits, more when not.
TEST(HostDir, ReadsListedFilesOfAnySizeWhole) {
  TempTree t;
  const std::string exact(16384, 'a'), large(300000, 'b');
  t.write("d/empty", "");
  t.write("d/exact", exact);
  t.write("d/large", large);
  const HostDir dir = Host(t.path()).open_dir("/d");
  ASSERT_TRUE(dir.ok());
  EXPECT_TRUE(dir.read("empty").ok);
  EXPECT_EQ(dir.read("empty").data, "");
  EXPECT_EQ(dir.read("exact").data, exact);
  ReadResult reused;
  dir.read("large", reused);
  EXPECT_EQ(reused.data, large);
  dir.read("exact", reused);
  EXPECT_EQ(reused.data, exact);
}

// The live host's attribute files are read with one read(2): the same bytes and messages as Host's
// read-to-EOF, for every file of every IRQ on this machine. Counts may move between the two reads,
// so for those only the shape is compared.
TEST(HostDir, LiveIrqFilesReadExactlyAsHostReadsThem) {
  const Host host("/");
  size_t files = 0;
  for (const std::string base : {"/proc/irq", "/sys/kernel/irq"}) {
    const HostDir top = host.open_dir(base);
    ASSERT_TRUE(top.ok()) << base;
    for (const auto& n : host.list(base)) {
      if (!host.is_dir(base + "/" + n)) continue;
      const HostDir dir = top.dir(n);
      ASSERT_TRUE(dir.ok()) << n;
      for (const auto& f : host.list(base + "/" + n)) {
        const std::string path = dir.full(f);
        const ReadResult a = host.read(path), b = dir.read(f);
        EXPECT_EQ(a.ok, b.ok) << path;
        EXPECT_EQ(a.error, b.error) << path;
        if (f == "per_cpu_count" || f == "spurious")
          EXPECT_EQ(std::count(a.data.begin(), a.data.end(), '\n'), std::count(b.data.begin(), b.data.end(), '\n')) << path;
        else
          EXPECT_EQ(a.data, b.data) << path;
        ++files;
      }
    }
  }
  EXPECT_GT(files, 100u);
}

// A live read that may not be the whole file goes on: regular files around the page and buffer
// sizes, and a kernfs file that the kernel serves a page per read(2) (BTF, 5 MB on Debian kernels).
TEST(HostDir, LiveFilesOfAPageOrMoreAreReadWhole) {
  TempTree t;
  std::map<std::string, std::string> files;
  for (size_t size : {0, 1, 4095, 4096, 4097, 16383, 16384, 16385, 300000})
    files["f" + std::to_string(size)] = std::string(size, static_cast<char>('a' + size % 26));
  for (const auto& [name, data] : files) t.write("d/" + name, data);
  const HostDir dir = Host("/").open_dir(t.path() + "/d");
  ASSERT_TRUE(dir.ok());
  ReadResult reused;
  for (const auto& [name, data] : files) {
    dir.read(name, reused);
    EXPECT_TRUE(reused.ok) << name;
    EXPECT_EQ(reused.data, data) << name;
  }

  struct stat st;
  ASSERT_EQ(::stat("/sys/kernel/btf/vmlinux", &st), 0)
      << "this test needs a kernfs file larger than a page; Debian's kernels have /sys/kernel/btf/vmlinux";
  ASSERT_GT(st.st_size, 4 * 4096);
  const ReadResult btf = Host("/").open_dir("/sys/kernel/btf").read("vmlinux");
  ASSERT_TRUE(btf.ok) << btf.error;
  EXPECT_EQ(btf.data.size(), static_cast<size_t>(st.st_size));
}

// --- IRQ counts in the snapshot -------------------------------------------------------------------

uint64_t sum(const std::vector<uint64_t>& v) { return std::accumulate(v.begin(), v.end(), uint64_t{0}); }

// Memory holds only the non-zero columns; the dense form comes back exactly, zeros and length.
TEST(IrqCounts, SparseInMemoryKeepsColumnsAndNonZeroEntries) {
  const std::vector<uint64_t> dense = {0, 7, 0, 0, 3, 0};
  const CpuCounts c = CpuCounts::from_dense(dense);
  EXPECT_EQ(c.columns, 6u);
  ASSERT_EQ(c.nonzero.size(), 2u);
  EXPECT_EQ(c.nonzero[0].column, 1u);
  EXPECT_EQ(c.nonzero[1].count, 3u);
  EXPECT_EQ(c.dense(), dense);
  EXPECT_EQ(c.total(), 10u);
  EXPECT_TRUE(CpuCounts::from_dense({}).dense().empty());
  EXPECT_NE(c, CpuCounts::from_dense({0, 7, 0, 0, 3}));  // same entries, one column fewer
}

TEST(IrqCounts, SchemaIsVersion2AndSparseByDefault) {
  const Snapshot s = take_snapshot(Host(test::fixture_host("metal-2s-mlx5-k8s")), {"irq"});
  const json j = s;
  EXPECT_EQ(j["schema"], "tunectl.snapshot/2");
  EXPECT_EQ(j["irq_counts"], "sparse");
  size_t nonzero = 0;
  for (const auto& row : j["irqs"]) {
    ASSERT_TRUE(row["counts"].is_object()) << row["irq"];
    for (const auto& [cpu, n] : row["counts"].items()) {
      EXPECT_GT(n.get<uint64_t>(), 0u) << row["irq"] << " cpu " << cpu;
      ++nonzero;
    }
  }
  EXPECT_GT(nonzero, 0u);
}

// Each IRQ's sparse counts add up to its /proc/interrupts row, and name the same CPUs' numbers.
// Generated trees only: a captured one ("vm") read /proc/interrupts and per_cpu_count moments
// apart, while the counts kept rising.
TEST(IrqCounts, SparseCountsSumToTheProcInterruptsRow) {
  for (const char* name : {"cloud-ena", "intel-i40e-cgv1", "metal-2s-mlx5-k8s"}) {
    SCOPED_TRACE(name);
    const Host host(test::fixture_host(name));
    const json j = take_snapshot(host, {"irq"});
    const auto parsed = parse_interrupts(host.read("/proc/interrupts").data);
    ASSERT_TRUE(parsed.ok());
    std::map<int, std::map<int, uint64_t>> rows;  // irq -> cpu -> count, non-zero only
    for (const auto& r : parsed.value->rows)
      if (r.irq)
        for (size_t c = 0; c < r.counts.size(); ++c)
          if (r.counts[c]) rows[*r.irq][parsed.value->cpus[c]] = r.counts[c];
    size_t checked = 0;
    for (const auto& row : j["irqs"]) {
      const int irq = row["irq"];
      if (!rows.count(irq)) continue;
      std::map<int, uint64_t> got;
      for (const auto& [cpu, n] : row["counts"].items()) got[std::stoi(cpu)] = n.get<uint64_t>();
      EXPECT_EQ(got, rows[irq]) << "irq " << irq;
      ++checked;
    }
    EXPECT_GT(checked, 0u);
  }
}

TEST(IrqCounts, FullFormGivesEveryCpuAndBothFormsLoadBackTheSameCounts) {
  const Snapshot s = take_snapshot(Host(test::fixture_host("metal-2s-mlx5-k8s")), {"irq"});
  ASSERT_TRUE(s.irqs && s.irq_count_cpus && !s.irqs->empty());
  Snapshot full = s;
  full.irq_counts = IrqCounts::kFull;
  const json jf = full, js = s;
  EXPECT_EQ(jf["irq_counts"], "full");
  for (const auto& row : jf["irqs"]) EXPECT_EQ(row["counts"].size(), s.irq_count_cpus->size());
  for (const json* doc : {&jf, &js}) {
    const Snapshot back = doc->get<Snapshot>();
    ASSERT_TRUE(back.irqs);
    ASSERT_EQ(back.irqs->size(), s.irqs->size());
    for (size_t i = 0; i < s.irqs->size(); ++i) {
      EXPECT_EQ((*back.irqs)[i].counts, (*s.irqs)[i].counts) << (*s.irqs)[i].irq;
      EXPECT_EQ(sum((*back.irqs)[i].counts.dense()), (*s.irqs)[i].counts.total());
    }
    EXPECT_EQ(json(back), *doc);  // the form is kept: written again, the same document
  }
  // The two documents differ only in the counts' form.
  json a = jf, b = js;
  for (json* d : {&a, &b}) {
    d->erase("irq_counts");
    for (auto& row : (*d)["irqs"]) row.erase("counts");
  }
  EXPECT_EQ(a, b);
}

TEST(IrqCounts, Snapshot1StillLoads) {
  Snapshot s = take_snapshot(Host(test::fixture_host("vm")), {"irq"});
  s.irq_counts = IrqCounts::kFull;
  json v1 = s;
  v1["schema"] = "tunectl.snapshot/1";
  v1.erase("irq_counts");  // snapshot/1 had no such key: full arrays
  const Snapshot back = v1.get<Snapshot>();
  ASSERT_TRUE(back.irqs);
  EXPECT_EQ(back.irq_counts, IrqCounts::kFull);
  for (size_t i = 0; i < s.irqs->size(); ++i) EXPECT_EQ((*back.irqs)[i].counts, (*s.irqs)[i].counts);
  json other = v1;
  other["schema"] = "tunectl.snapshot/3";
  EXPECT_THROW(other.get<Snapshot>(), InputError);
}

TEST(IrqCounts, ACpuThatIsNoColumnIsAnInputError) {
  json j = take_snapshot(Host(test::fixture_host("vm")), {"irq"});
  ASSERT_FALSE(j["irqs"].empty());
  j["irqs"][0]["counts"] = {{"4096", 1}};
  EXPECT_THROW(j.get<Snapshot>(), InputError);
}

// --- plan_snapshot: only the areas a profile reads ------------------------------------------------

Profile profile(const std::string& text) { return load_profile_from_text(text, "scale.json", {}); }

TEST(PlanAreas, SectionsAndConditionsNameTheirAreas) {
  EXPECT_EQ(plan_areas(profile(R"({"sysctl": {"net.ipv4.tcp_fin_timeout": 15}})")), std::vector<std::string>{});
  EXPECT_EQ(plan_areas(profile(R"({"thp": {"enabled": "madvise"}})")), std::vector<std::string>{});
  EXPECT_EQ(plan_areas(profile(R"({"irq": {"policy": "numa-local", "nics": ["*"]}})")),
            (std::vector<std::string>{"topology", "irq", "nic"}));
  EXPECT_EQ(plan_areas(profile(R"({"sysctl": {"net.ipv4.tcp_fin_timeout": {"value": 15,
                                   "when": {"any": [{"nic_driver": "mlx5*"}, {"not": {"cgroup_mode": "unified"}}]}}}})")),
            (std::vector<std::string>{"nic", "cgroup"}));
  EXPECT_EQ(plan_areas(profile(R"({"thp": {"enabled": {"value": "never", "when": {"kernel": {">=": "5.10"}}}}})")),
            std::vector<std::string>{});
  EXPECT_EQ(condition_areas(), (std::vector<std::string>{"topology", "nic", "cgroup"}));
}

TEST(PlanAreas, EveryBuiltInSectionIsMapped) {
  // An unmapped section would be planned from every area: correct but slow. Each is listed.
  for (const char* sec : {"sysctl", "thp", "pstate", "cgroups", "nic", "rps", "xps", "cpu_power", "irq"}) {
    SCOPED_TRACE(sec);
    Profile p;
    p.resolved = json::object();
    p.resolved[sec] = json::object();
    // Any section present at all: the areas are a strict subset of every area.
    EXPECT_LT(plan_areas(p).size(), snapshot_areas().size());
  }
}

TEST(PlanAreas, PlanSnapshotProbesOnlyThoseAreas) {
  const Host host(test::fixture_host("metal-2s-mlx5-k8s"));
  const Snapshot none = plan_snapshot(host, {});
  EXPECT_FALSE(none.topology || none.irqs || none.nics || none.thp || none.tcp || none.cgroups || none.cpu_power);
  EXPECT_FALSE(none.host.kernel.empty());  // host facts (the kernel condition) are always there
  const Snapshot irq = plan_snapshot(host, plan_areas(profile(R"({"irq": {"policy": "numa-local", "nics": ["*"]}})")));
  EXPECT_TRUE(irq.topology && irq.irqs && irq.nics);
  EXPECT_FALSE(irq.thp || irq.tcp || irq.cgroups || irq.cpu_power);
  const Snapshot nic = plan_snapshot(host, {"nic"});
  EXPECT_TRUE(nic.nics);
  EXPECT_FALSE(nic.irqs || nic.topology);  // irq is probed as the nic area's input, then dropped
}

// The built-in profiles plan the same on a fixture from their areas as from every area.
TEST(PlanAreas, PlansFromTheAreasEqualPlansFromEverything) {
  const Host host(test::fixture_host("metal-2s-mlx5-k8s"));
  const Snapshot all = take_snapshot(host);
  for (const char* name : {"balanced", "latency", "throughput", "api-gateway", "container-host"}) {
    SCOPED_TRACE(name);
    const Profile p = load_profile(name, {builtin_profile_dir()});
    EXPECT_EQ(json(make_plan(host, plan_snapshot(host, plan_areas(p)), p)), json(make_plan(host, all, p)));
  }
}

// --- Concurrent probing ----------------------------------------------------------------------------

// The vm fixture plus `extra` IRQs from 1000 on (so that the IRQ probe splits them into chunks), with
// a bad file in three of them (1100, 1500, 1700): their errors must come out in IRQ order whatever
// the threads do. Few files per IRQ: creating files is most of this test's time.
std::string many_irq_tree(const TempTree& t, int extra) {
  const std::string root = t.copy_fixture("vm");
  const std::string in_root = root.substr(t.path().size() + 1) + "/";  // TempTree::write is relative to t
  for (int n = 1000; n < 1000 + extra; ++n) {
    const std::string sys = in_root + "sys/kernel/irq/" + std::to_string(n) + "/";
    const std::string proc = in_root + "proc/irq/" + std::to_string(n) + "/";
    t.write(sys + "actions", "nvme0q" + std::to_string(n) + "\n");  // chip, hwirq, type: optional
    t.write(sys + "per_cpu_count", n == 1100 ? "3,x\n" : std::to_string(n % 7) + ",1\n");
    t.write(proc + "smp_affinity_list", n == 1500 ? "zz\n" : std::to_string(n % 2) + "\n");
    if (n == 1700) t.write(proc + "node", "q\n");
  }
  // And 12 virtual interfaces, so that the NIC probe splits too; bad files in vt02 and vt09.
  for (int i = 0; i < 12; ++i) {
    const std::string name = (i < 10 ? "vt0" : "vt") + std::to_string(i);
    const std::string dir = in_root + "sys/devices/virtual/net/" + name + "/";
    t.write(dir + "ifindex", std::to_string(100 + i) + "\n");
    t.write(dir + "mtu", i == 2 ? "x\n" : "1500\n");
    t.write(dir + "queues/rx-0/rps_cpus", "1\n");
    t.write(dir + "queues/tx-0/xps_cpus", i == 9 ? "zz\n" : "2\n");
    t.symlink("../../devices/virtual/net/" + name, in_root + "sys/class/net/" + name);
  }
  return root;
}

json without_time(const Snapshot& s) {
  json j = s;
  j["host"].erase("taken_at");
  return j;
}

TEST(ConcurrentProbe, ChunksAndAreasInParallelGiveTheSerialSnapshotByteForByte) {
  TempTree t;
  const Host host(many_irq_tree(t, 800));
  json serial, parallel;
  {
    test::EnvVar one("TUNECTL_PROBE_THREADS", "1");
    serial = without_time(take_snapshot(host));
  }
  {
    test::EnvVar four("TUNECTL_PROBE_THREADS", "4");
    ASSERT_EQ(chunk_count(800, 256), 3u);  // the IRQ probe really splits, and the NIC probe
    ASSERT_EQ(chunk_count(16, 4), 4u);
    parallel = without_time(take_snapshot(host));
  }
  EXPECT_TRUE(serial == parallel) << "what differs (JSON patch from serial to parallel): "
                                   << json::diff(serial, parallel).dump();
  EXPECT_GT(serial["irqs"].size(), 800u);
  {
    // Two workers for seven areas: areas queue, and the nic area waits for the irq area's rows
    // while other areas are still to be taken.
    test::EnvVar two("TUNECTL_PROBE_THREADS", "2");
    const json two_workers = without_time(take_snapshot(host));
    EXPECT_TRUE(serial == two_workers) << json::diff(serial, two_workers).dump();
  }

  // The three bad files, reported in IRQ order (chunk order), each once.
  const auto& errors = parallel["errors"]["irq"];
  std::vector<size_t> at;
  for (const char* what : {"/sys/kernel/irq/1100/per_cpu_count", "/proc/irq/1500/smp_affinity_list", "/proc/irq/1700/node"}) {
    size_t found = errors.size(), hits = 0;
    for (size_t i = 0; i < errors.size(); ++i)
      if (errors[i].get<std::string>().find(what) != std::string::npos) found = i, ++hits;
    EXPECT_EQ(hits, 1u) << what << " in " << errors.dump();
    at.push_back(found);
  }
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end())) << errors.dump();

  const auto& nic_errors = parallel["errors"]["nic"];
  ASSERT_EQ(nic_errors.size(), 2u) << nic_errors.dump();
  EXPECT_NE(nic_errors[0].get<std::string>().find("/vt02/mtu"), std::string::npos) << nic_errors.dump();
  EXPECT_NE(nic_errors[1].get<std::string>().find("/vt09/queues/tx-0/xps_cpus"), std::string::npos) << nic_errors.dump();
  EXPECT_EQ(parallel["nics"].size(), 16u);  // the fixture's 4 and the 12
}

TEST(ConcurrentProbe, AnAreaThatThrowsIsUnavailableWithoutStoppingTheOthers) {
  TempTree t;
  const std::string root = t.copy_fixture("vm");
  ::unlink((root + "/proc/interrupts").c_str());
  std::filesystem::remove_all(root + "/sys/kernel/irq");  // the older-kernel path: /proc/interrupts, now missing
  const Host host(root);
  test::EnvVar four("TUNECTL_PROBE_THREADS", "4");
  const Snapshot s = take_snapshot(host);
  ASSERT_EQ(s.unavailable.count("irq"), 1u);
  EXPECT_NE(s.unavailable.at("irq").find("/proc/interrupts"), std::string::npos) << s.unavailable.at("irq");
  EXPECT_TRUE(s.topology && s.nics && s.thp && s.cgroups);  // nic ran after its failed input, without IRQs
  for (const auto& nic : *s.nics) EXPECT_TRUE(nic.irqs.empty()) << nic.name;
}

}  // namespace
}  // namespace tunectl
