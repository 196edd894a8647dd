// Snapshot: every probe area's result plus host facts, schema "tunectl.snapshot/2". A probe that
// fails leaves its area null with "<area>_unavailable" set; the others are unaffected. The areas
// are listed in probes/areas.def; each has one typed member here.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"
#include "probes/cgroup.h"
#include "probes/cpu_power.h"
#include "probes/irq.h"
#include "probes/nic.h"
#include "probes/tcp.h"
#include "probes/thp.h"
#include "probes/topology.h"

namespace tunectl {

inline constexpr const char* kSnapshotSchema = "tunectl.snapshot/2";
// Still read (audit reports embed it): the same document with every IRQ's counts as a full array.
inline constexpr const char* kSnapshotSchemaV1 = "tunectl.snapshot/1";

// How the JSON writes each IRQ's per-CPU counts: the CPUs with a non-zero count (the default: a
// 1024-CPU host's full matrix is ~45 MB), or every CPU of irq_count_cpus. Memory is sparse either way.
enum class IrqCounts { kSparse, kFull };

struct HostInfo {
  std::string hostname, kernel, root, taken_at;  // taken_at: RFC 3339 UTC
};

struct Snapshot {
  HostInfo host;
  // One member per probe area (probes/areas.def); null when not probed or unavailable.
  std::optional<Topology> topology;
  std::optional<std::vector<IrqInfo>> irqs;
  std::optional<std::vector<int>> irq_count_cpus;  // CPU of each IRQ counts[] column (irq area)
  std::optional<std::vector<NicInfo>> nics;
  std::optional<Thp> thp;
  std::optional<Tcp> tcp;
  std::optional<Cgroups> cgroups;
  std::optional<CpuPower> cpu_power;
  IrqCounts irq_counts = IrqCounts::kSparse;               // JSON form of IrqInfo::counts
  std::map<std::string, std::string> unavailable;          // area -> reason
  std::map<std::string, std::vector<std::string>> errors;  // area -> per-field errors
};

// Area names as accepted by --only, in registry order: topology, irq, nic, thp, tcp, cgroup.
const std::vector<std::string>& snapshot_areas();

// Probes the requested areas (all when `only` is empty). Throws InputError for an unknown area.
Snapshot take_snapshot(const Host& host, const std::vector<std::string>& only = {});
// Probes exactly `areas` (none when empty: host facts only); same errors as take_snapshot.
Snapshot take_snapshot_of(const Host& host, const std::vector<std::string>& areas);

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HostInfo, hostname, kernel, root, taken_at)
// Only probed areas appear, under each area's JSON key (irqs, nics, cgroups, ...).
void to_json(json& j, const Snapshot& v);
void from_json(const json& j, Snapshot& v);

}  // namespace tunectl
