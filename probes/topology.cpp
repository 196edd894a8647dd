#include "probes/topology.h"

#include <algorithm>
#include <sstream>

#include "probes/cmdline.h"
#include "core/errors.h"
#include "core/read_field.h"

namespace tunectl {
namespace {

const char* const kCpuDir = "/sys/devices/system/cpu";
const char* const kNodeDir = "/sys/devices/system/node";

// Boot parameters that change where work, interrupts and callbacks may run.
const char* const kCmdlineKeys[] = {
    "isolcpus",      "nohz_full", "nohz",        "irqaffinity", "rcu_nocbs",     "rcu_nocb_poll",
    "transparent_hugepage",       "nosmt",       "mitigations", "skew_tick",     "idle",
    "intel_idle.max_cstate",      "processor.max_cstate",       "intel_pstate",  "numa_balancing",
    "default_hugepagesz",         "hugepagesz",  "hugepages",   "kthread_cpus",  "housekeeping"};

// "cpu12" -> 12 for entries named <prefix><digits>; nullopt for "cpufreq", "online", ...
std::optional<int> numbered(const std::string& name, const std::string& prefix) {
  if (name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  auto n = parse_int(name.substr(prefix.size()));
  if (!n || name[prefix.size()] == '+' || name[prefix.size()] == '-' || *n >= kMaxCpus) return std::nullopt;
  return static_cast<int>(*n);
}

std::string canonical_cpulist(const Host& host, const std::string& path, ProbeErrors& errors,
                              Presence presence) {
  // nohz_full prints "(null)" when the kernel has the feature but no mask was set up.
  auto text = read_field(host, path, errors, presence);
  if (!text || *text == "(null)") return "";
  auto p = parse_cpulist(*text);
  if (!p.ok()) {
    errors.push_back(path + ": " + p.error);
    return "";
  }
  return format_cpulist(*p.value);
}

// `cpus` is kCpuDir, opened once: a 1024-CPU host has 6000 files here.
CpuInfo probe_cpu(const HostDir& cpus, int cpu, const CpuSet* online_list, ProbeErrors& errors) {
  CpuInfo c;
  c.cpu = cpu;
  const HostDir dir = cpus.dir("cpu" + std::to_string(cpu));
  // cpu0 is usually not hot-pluggable and has no "online" file: it is always online.
  ProbeErrors online_errors;
  auto online = read_int_field(dir, "online", online_errors, Presence::kOptional);
  if (online && (*online == 0 || *online == 1)) {
    c.online = *online == 1;
  } else {
    if (online) online_errors.push_back(dir.full("online") + ": expected 0 or 1, got " + std::to_string(*online));
    errors.insert(errors.end(), online_errors.begin(), online_errors.end());
    if (online_list) c.online = std::binary_search(online_list->begin(), online_list->end(), cpu);
  }
  // Offline CPUs lose their topology directory, so nothing there is required of them.
  const Presence required = c.online ? Presence::kRequired : Presence::kOptional;
  const HostDir topo = dir.dir("topology");
  auto as_int = [](std::optional<int64_t> v) -> std::optional<int> {
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
  };
  c.core = as_int(read_int_field(topo, "core_id", errors, required));
  c.package = as_int(read_int_field(topo, "physical_package_id", errors, required));
  c.die = as_int(read_int_field(topo, "die_id", errors, Presence::kOptional));
  c.cluster = as_int(read_int_field(topo, "cluster_id", errors, Presence::kOptional));
  // thread_siblings_list is the long-standing name; newer kernels also call it core_cpus_list.
  auto siblings = read_cpulist_field(topo, "thread_siblings_list", errors, Presence::kOptional);
  if (!siblings && !topo.exists("thread_siblings_list"))
    siblings = read_cpulist_field(topo, "core_cpus_list", errors, required);
  if (siblings) c.siblings = format_cpulist(*siblings);
  return c;
}

// "Node 0 MemTotal:        4810964 kB" lines -> {"MemTotal": 4810964}.
std::map<std::string, int64_t> parse_node_meminfo(const std::string& text) {
  std::map<std::string, int64_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto t = split_ws(line);
    // The unit must be there: a line cut short ("MemTotal:  48") is not a value.
    if (t.size() != 5 || t[0] != "Node" || t[2].back() != ':' || t[4] != "kB") continue;
    if (auto v = parse_int(t[3])) out[t[2].substr(0, t[2].size() - 1)] = *v;
  }
  return out;
}

NodeInfo probe_node(const Host& host, int node, ProbeErrors& errors) {
  NodeInfo n;
  n.node = node;
  const std::string dir = std::string(kNodeDir) + "/node" + std::to_string(node);
  n.cpus = canonical_cpulist(host, dir + "/cpulist", errors, Presence::kRequired);
  if (auto text = read_field(host, dir + "/meminfo", errors)) {
    auto mem = parse_node_meminfo(*text);
    if (mem.count("MemTotal")) n.mem_total_kb = mem["MemTotal"];
    if (mem.count("MemFree")) n.mem_free_kb = mem["MemFree"];
    if (!n.mem_total_kb || !n.mem_free_kb) errors.push_back(dir + "/meminfo: no MemTotal/MemFree lines");
  }
  if (auto text = read_field(host, dir + "/distance", errors)) {
    for (const auto& tok : split_ws(*text)) {
      auto d = parse_int(tok);
      if (!d) {
        errors.push_back(dir + "/distance: '" + tok + "' is not a number");
        n.distances.clear();
        break;
      }
      n.distances.push_back(static_cast<int>(*d));
    }
  }
  return n;
}

// A kernel without NUMA support has no node directory: one node holding every CPU and all memory.
NodeInfo single_node(const Host& host, const std::vector<CpuInfo>& cpus, ProbeErrors& errors) {
  NodeInfo n;
  CpuSet all;
  for (const auto& c : cpus) all.push_back(c.cpu);
  n.cpus = format_cpulist(all);
  if (auto text = read_field(host, "/proc/meminfo", errors)) {
    auto mem = parse_meminfo(*text);
    if (mem.count("MemTotal")) n.mem_total_kb = mem["MemTotal"];
    if (mem.count("MemFree")) n.mem_free_kb = mem["MemFree"];
  }
  n.distances = {10};  // LOCAL_DISTANCE, what numactl reports for a single node
  return n;
}

bool has_hypervisor_flag(const std::string& cpuinfo) {
  std::istringstream in(cpuinfo);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 5, "flags") != 0) continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto flags = split_ws(line.substr(colon + 1));
    return std::find(flags.begin(), flags.end(), "hypervisor") != flags.end();
  }
  return false;
}

}  // namespace

Topology probe_topology(const Host& host, ProbeErrors& errors) {
  Topology t;
  std::vector<int> cpu_ids;
  for (const auto& name : host.list(kCpuDir))
    if (auto n = numbered(name, "cpu")) cpu_ids.push_back(*n);
  if (cpu_ids.empty()) throw Error(std::string(kCpuDir) + ": no cpuN entries");
  std::sort(cpu_ids.begin(), cpu_ids.end());

  t.online = canonical_cpulist(host, std::string(kCpuDir) + "/online", errors, Presence::kRequired);
  t.possible = canonical_cpulist(host, std::string(kCpuDir) + "/possible", errors, Presence::kRequired);
  t.isolated = canonical_cpulist(host, std::string(kCpuDir) + "/isolated", errors, Presence::kOptional);
  // Absent when the kernel is built without CONFIG_NO_HZ_FULL: nothing is nohz_full then.
  t.nohz_full = canonical_cpulist(host, std::string(kCpuDir) + "/nohz_full", errors, Presence::kOptional);

  auto online_list = parse_cpulist(t.online).value;
  const HostDir cpus = host.open_dir(kCpuDir);
  for (int cpu : cpu_ids) t.cpus.push_back(probe_cpu(cpus, cpu, online_list ? &*online_list : nullptr, errors));

  std::vector<int> node_ids;
  for (const auto& name : host.list(kNodeDir))
    if (auto n = numbered(name, "node")) node_ids.push_back(*n);
  std::sort(node_ids.begin(), node_ids.end());
  for (int node : node_ids) t.nodes.push_back(probe_node(host, node, errors));
  if (t.nodes.empty()) t.nodes.push_back(single_node(host, t.cpus, errors));

  for (const auto& n : t.nodes) {
    for (int cpu : parse_cpulist(n.cpus).value.value_or(CpuSet{})) {
      auto it = std::lower_bound(t.cpus.begin(), t.cpus.end(), cpu,
                                 [](const CpuInfo& c, int v) { return c.cpu < v; });
      if (it != t.cpus.end() && it->cpu == cpu) it->node = n.node;
    }
  }

  if (auto text = read_field(host, "/proc/cmdline", errors)) {
    auto params = parse_kernel_cmdline(*text);
    for (const char* key : kCmdlineKeys)
      if (params.count(key)) t.cmdline[key] = params[key];
  }
  if (auto text = read_field(host, "/proc/cpuinfo", errors)) t.virtualized = has_hypervisor_flag(*text);
  t.hypervisor = read_field(host, "/sys/hypervisor/type", errors, Presence::kOptional);
  return t;
}

CpuSet Topology::online_cpus() const {
  CpuSet out;
  for (const auto& c : cpus)
    if (c.online) out.push_back(c.cpu);
  return out;
}

CpuSet Topology::node_cpus(int node) const {
  for (const auto& n : nodes)
    if (n.node == node) return parse_cpulist(n.cpus).value.value_or(CpuSet{});
  return {};
}

std::optional<int> Topology::node_of(int cpu) const {
  for (const auto& c : cpus)
    if (c.cpu == cpu) return c.node;
  return std::nullopt;
}

CpuSet Topology::isolated_cpus() const { return parse_cpulist(isolated).value.value_or(CpuSet{}); }

}  // namespace tunectl
