#include "probes/snapshot.h"

#include <algorithm>
#include <ctime>
#include <exception>

#include "core/clock.h"
#include "core/errors.h"
#include "core/parse.h"

namespace tunectl {
namespace {


// The JSON key of each area (DESIGN.md uses plural keys for lists).
const std::map<std::string, std::string>& area_keys() {
  static const std::map<std::string, std::string> keys = {
      {"topology", "topology"}, {"irq", "irqs"}, {"nic", "nics"},
      {"thp", "thp"},           {"tcp", "tcp"},  {"cgroup", "cgroups"}};
  return keys;
}

std::string normalise_area(const std::string& a) {
  for (const auto& [area, key] : area_keys())
    if (a == area || a == key) return area;
  throw InputError("--only: unknown area '" + a + "' (known: topology, irq, nic, thp, tcp, cgroup)");
}

// Runs one probe; an exception becomes "<area>_unavailable" instead of aborting the snapshot.
template <class F>
void guarded(Snapshot& s, const std::string& area, F&& probe) {
  try {
    probe(s.errors[area]);
  } catch (const std::exception& e) {
    s.unavailable[area] = e.what();
  }
  if (s.errors[area].empty()) s.errors.erase(area);
}

}  // namespace

const std::vector<std::string>& snapshot_areas() {
  static const std::vector<std::string> areas = {"topology", "irq", "nic", "thp", "tcp", "cgroup"};
  return areas;
}

Snapshot take_snapshot(const Host& host, const std::vector<std::string>& only) {
  std::vector<std::string> want;
  for (const auto& a : only) want.push_back(normalise_area(a));
  auto wanted = [&](const std::string& a) {
    return want.empty() || std::find(want.begin(), want.end(), a) != want.end();
  };

  Snapshot s;
  s.host.root = host.root();
  s.host.hostname = host.read_trimmed("/proc/sys/kernel/hostname").value_or("");
  s.host.kernel = host.read_trimmed("/proc/sys/kernel/osrelease").value_or("");
  s.host.taken_at = utc_now_rfc3339();

  if (wanted("topology")) guarded(s, "topology", [&](ProbeErrors& e) { s.topology = probe_topology(host, e); });
  // NICs map IRQs to queues, so IRQs are read whenever either area is wanted.
  if (wanted("irq") || wanted("nic")) {
    Irqs irqs;
    bool irqs_ok = false;
    guarded(s, "irq", [&](ProbeErrors& e) {
      irqs = probe_irqs(host, e);
      irqs_ok = true;
    });
    if (wanted("nic")) guarded(s, "nic", [&](ProbeErrors& e) { s.nics = probe_nics(host, irqs, e); });
    if (wanted("irq") && irqs_ok) {
      s.irqs = std::move(irqs.irqs);
      s.irq_count_cpus = std::move(irqs.count_cpus);
    }
    if (!wanted("irq")) {
      s.unavailable.erase("irq");
      s.errors.erase("irq");
    }
  }
  if (wanted("thp")) guarded(s, "thp", [&](ProbeErrors& e) { s.thp = probe_thp(host, e); });
  if (wanted("tcp")) guarded(s, "tcp", [&](ProbeErrors& e) { s.tcp = probe_tcp(host, e); });
  if (wanted("cgroup")) guarded(s, "cgroup", [&](ProbeErrors& e) { s.cgroups = probe_cgroups(host, e); });
  return s;
}

void to_json(json& j, const Snapshot& s) {
  j = json::object();
  j["schema"] = kSnapshotSchema;
  j["host"] = s.host;
  auto put = [&](const std::string& area, const auto& value) {
    const std::string& key = area_keys().at(area);
    if (value)
      j[key] = *value;
    else if (s.unavailable.count(area))
      j[key] = nullptr;
    else
      return;  // not probed
    if (s.unavailable.count(area)) j[key + "_unavailable"] = s.unavailable.at(area);
  };
  put("topology", s.topology);
  put("irq", s.irqs);
  if (s.irq_count_cpus) j["irq_count_cpus"] = *s.irq_count_cpus;
  put("nic", s.nics);
  put("thp", s.thp);
  put("tcp", s.tcp);
  put("cgroup", s.cgroups);
  j["errors"] = s.errors;
}

void from_json(const json& j, Snapshot& s) {
  if (j.value("schema", "") != kSnapshotSchema)
    throw InputError("not a tunectl snapshot (schema is not " + std::string(kSnapshotSchema) + ")");
  s = Snapshot{};
  s.host = j.at("host").get<HostInfo>();
  auto get = [&](const std::string& area, auto& out) {
    const std::string& key = area_keys().at(area);
    if (j.contains(key) && !j[key].is_null()) out = j[key].get<typename std::decay_t<decltype(out)>::value_type>();
    if (j.contains(key + "_unavailable")) s.unavailable[area] = j[key + "_unavailable"].get<std::string>();
  };
  get("topology", s.topology);
  get("irq", s.irqs);
  if (j.contains("irq_count_cpus")) s.irq_count_cpus = j["irq_count_cpus"].get<std::vector<int>>();
  get("nic", s.nics);
  get("thp", s.thp);
  get("tcp", s.tcp);
  get("cgroup", s.cgroups);
  if (j.contains("errors")) s.errors = j["errors"].get<std::map<std::string, std::vector<std::string>>>();
}

}  // namespace tunectl
