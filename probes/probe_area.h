// A probe area (topology, irq, nic, ...): everything the snapshot, `tunectl probe` and the fuzzer
// need to know about one area, in one descriptor. The registry is probes/areas.def; each area's
// probes/<area>_area.cpp defines probe_area_<area>().
#pragma once
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"
#include "probes/snapshot.h"

namespace tunectl {

// Returns once every area in ProbeArea::inputs has finished.
using AwaitInputs = std::function<void()>;

struct ProbeArea {
  std::string name;      // as --only and Snapshot::unavailable/errors name it: "irq"
  std::string json_key;  // its key in the snapshot JSON: "irqs" (--only accepts it too)
  std::string title;     // its section heading in `tunectl probe`: "IRQs by NIC"
  // Areas whose results probe() reads; they are probed first (registry order must agree) even when
  // not asked for, and dropped from the snapshot again then. "nic" reads "irq".
  std::vector<std::string> inputs;
  // The kernel files the probe parses, as patterns: <N> is a number (CPU, node, IRQ, queue), <IF>
  // an interface, <CG> a cgroup. The fuzzer (tests/fuzz/fuzz_parsers.cpp) writes its input there.
  std::vector<std::string> kernel_files;

  // Fills the area's Snapshot member; per-field problems go to `errors`; an exception makes the
  // area "<json_key>_unavailable" with its message. Areas run concurrently (probes/snapshot.cpp):
  // the members of `inputs` may be read only after await_inputs() returned, which an area calls
  // as late as it can so that its own reads overlap theirs.
  std::function<void(const Host& host, Snapshot& snap, ProbeErrors& errors, const AwaitInputs& await_inputs)> probe;
  std::function<bool(const Snapshot&)> present;  // the member holds a value
  std::function<void(Snapshot&)> clear;
  // The member's JSON: to_json runs only when present(); from_json only when json_key holds a value.
  std::function<void(json& j, const Snapshot& snap)> to_json;
  std::function<void(const json& j, Snapshot& snap)> from_json;
  // The body of the area's `tunectl probe` section (heading, "unavailable" and errors are printed
  // around it); runs only when present().
  std::function<void(std::ostream& out, const Snapshot& snap)> print_table;
};

// A descriptor whose present/clear/to_json/from_json use one std::optional Snapshot member stored
// under json_key; the area fills in probe, kernel_files and print_table.
template <class T>
ProbeArea member_area(std::optional<T> Snapshot::*member, std::string name, std::string json_key,
                      std::string title) {
  ProbeArea a;
  a.name = std::move(name);
  a.json_key = json_key;
  a.title = std::move(title);
  a.present = [member](const Snapshot& s) { return (s.*member).has_value(); };
  a.clear = [member](Snapshot& s) { (s.*member).reset(); };
  a.to_json = [member, json_key](json& j, const Snapshot& s) { j[json_key] = *(s.*member); };
  a.from_json = [member, json_key](const json& j, Snapshot& s) { s.*member = j.at(json_key).get<T>(); };
  return a;
}

// Every area, in probes/areas.def order (the order of probing, JSON and tables).
const std::vector<ProbeArea>& probe_areas();
// The area called `name` (--only name or JSON key: "irq" or "irqs"), or nullptr.
const ProbeArea* find_probe_area(const std::string& name);
// "topology, irq, nic, thp, tcp, cgroup": the registry's names, for messages and help.
std::string probe_area_names(const std::string& separator = ", ");

#define TUNECTL_PROBE_AREA(name) ProbeArea probe_area_##name();
#include "probes/areas.def"
#undef TUNECTL_PROBE_AREA

}  // namespace tunectl
