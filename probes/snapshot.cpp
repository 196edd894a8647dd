// Snapshot assembly and its JSON, driven by the probe area registry (probes/areas.def): nothing
// here names an area except the one cross-area step, annotate_irq_queues.
#include "probes/snapshot.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <future>
#include <optional>
#include <set>
#include <system_error>

#include "core/clock.h"
#include "core/errors.h"
#include "core/parallel_chunks.h"
#include "probes/probe_area.h"

namespace tunectl {
namespace {

// One area's probe on its own: its problems, and why it is unavailable when it threw.
struct AreaOutcome {
  ProbeErrors errors;
  std::optional<std::string> unavailable;
};

// Runs one area's probe; an exception becomes "<area>_unavailable" instead of aborting the snapshot.
AreaOutcome guarded(const Host& host, const ProbeArea& area, Snapshot& s, const AwaitInputs& await_inputs) {
  AreaOutcome out;
  try {
    area.probe(host, s, out.errors, await_inputs);
  } catch (const std::exception& e) {
    out.unavailable = e.what();
  }
  return out;
}

// The areas in `run`, concurrently: a large host's snapshot is mostly waiting on thousands of small
// kernel files, and the areas share nothing but their declared inputs. At most worker_cap() areas
// run at once (the calling thread and worker_cap() - 1 helpers, each taking the next area in
// registry order): a thread per area would cost more than it saves on a small host, where each
// new thread's stack and malloc arena take longer to set up than its area takes to read. Each
// area writes only its own Snapshot members, so it waits for the areas it reads (ProbeArea::inputs,
// earlier in the registry, hence already taken by a worker: waiting never deadlocks), where it
// reads them, and for no others; outcomes are merged in registry order, so the result never
// depends on scheduling. With one worker (TUNECTL_PROBE_THREADS=1) they run one after another.
void probe_areas_of(const Host& host, const std::set<std::string>& run, Snapshot& s) {
  const auto& areas = probe_areas();
  std::vector<size_t> order;  // registry indices of the areas to run
  for (size_t i = 0; i < areas.size(); ++i)
    if (run.count(areas[i].name)) order.push_back(i);
  std::vector<AreaOutcome> outcomes(areas.size());
  std::vector<std::promise<void>> finished(areas.size());
  std::vector<std::shared_future<void>> done(areas.size());
  for (size_t i : order) done[i] = finished[i].get_future().share();

  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k; (k = next++) < order.size();) {
      const size_t i = order[k];
      const AwaitInputs await_inputs = [&] {
        for (const auto& input : areas[i].inputs)
          for (size_t j = 0; j < i; ++j)
            if (areas[j].name == input && done[j].valid()) done[j].wait();
      };
      try {
        outcomes[i] = guarded(host, areas[i], s, await_inputs);
        finished[i].set_value();
      } catch (...) {  // not a std::exception: rethrown below, after every worker has stopped
        finished[i].set_exception(std::current_exception());
      }
    }
  };
  std::vector<std::future<void>> helpers;
  for (size_t n = 1; n < std::min(worker_cap(), order.size()); ++n) {
    try {
      helpers.push_back(std::async(std::launch::async, worker));
    } catch (const std::system_error&) {
      break;  // no thread to be had: the workers there are (at least this one) take every area
    }
  }
  worker();
  for (auto& h : helpers) h.wait();
  for (size_t i : order) {
    done[i].get();
    if (outcomes[i].unavailable) s.unavailable[areas[i].name] = *outcomes[i].unavailable;
    if (!outcomes[i].errors.empty()) s.errors[areas[i].name] = std::move(outcomes[i].errors);
  }
}

// --only's names (or JSON keys) -> area names.
std::set<std::string> wanted_areas(const std::vector<std::string>& only) {
  std::set<std::string> wanted;
  for (const auto& a : only) {
    const ProbeArea* area = find_probe_area(a);
    if (!area) throw InputError("--only: unknown area '" + a + "' (known: " + probe_area_names() + ")");
    wanted.insert(area->name);
  }
  return wanted;
}

// The wanted areas plus the inputs their probes read. Inputs precede their readers in the
// registry, so one backwards pass also collects inputs of inputs.
std::set<std::string> areas_to_run(const std::set<std::string>& wanted) {
  std::set<std::string> run = wanted;
  const auto& areas = probe_areas();
  for (auto it = areas.rbegin(); it != areas.rend(); ++it)
    if (run.count(it->name)) run.insert(it->inputs.begin(), it->inputs.end());
  return run;
}

}  // namespace

const std::vector<std::string>& snapshot_areas() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& a : probe_areas()) out.push_back(a.name);
    return out;
  }();
  return names;
}

Snapshot take_snapshot(const Host& host, const std::vector<std::string>& only) {
  return take_snapshot_of(host, only.empty() ? snapshot_areas() : only);
}

Snapshot take_snapshot_of(const Host& host, const std::vector<std::string>& areas) {
  const std::set<std::string> wanted = wanted_areas(areas);
  const std::set<std::string> run = areas_to_run(wanted);

  Snapshot s;
  s.host.root = host.root();
  s.host.hostname = host.read_trimmed("/proc/sys/kernel/hostname").value_or("");
  s.host.kernel = host.read_trimmed("/proc/sys/kernel/osrelease").value_or("");
  s.host.taken_at = utc_now_rfc3339();

  probe_areas_of(host, run, s);

  // The one cross-area step: each IRQ row names the NIC queue the NIC probe mapped it to.
  if (s.irqs && s.nics) annotate_irq_queues(*s.irqs, *s.nics);

  // Areas probed only as inputs leave no trace.
  for (const auto& area : probe_areas()) {
    if (!run.count(area.name) || wanted.count(area.name)) continue;
    area.clear(s);
    s.unavailable.erase(area.name);
    s.errors.erase(area.name);
  }
  return s;
}

void to_json(json& j, const Snapshot& s) {
  j = json::object();
  j["schema"] = kSnapshotSchema;
  j["host"] = s.host;
  for (const auto& area : probe_areas()) {
    const auto why = s.unavailable.find(area.name);
    if (area.present(s))
      area.to_json(j, s);
    else if (why != s.unavailable.end())
      j[area.json_key] = nullptr;
    else
      continue;  // not probed
    if (why != s.unavailable.end()) j[area.json_key + "_unavailable"] = why->second;
  }
  j["errors"] = s.errors;
}

void from_json(const json& j, Snapshot& s) {
  const std::string schema = j.value("schema", "");
  if (schema != kSnapshotSchema && schema != kSnapshotSchemaV1)
    throw InputError("not a tunectl snapshot (schema is not " + std::string(kSnapshotSchema) + " or " +
                     kSnapshotSchemaV1 + ")");
  s = Snapshot{};
  s.host = j.at("host").get<HostInfo>();
  for (const auto& area : probe_areas()) {
    const std::string& key = area.json_key;
    if (j.contains(key) && !j[key].is_null()) area.from_json(j, s);
    if (j.contains(key + "_unavailable")) s.unavailable[area.name] = j[key + "_unavailable"].get<std::string>();
  }
  if (j.contains("errors")) s.errors = j["errors"].get<std::map<std::string, std::vector<std::string>>>();
}

}  // namespace tunectl
