// Conditions ("when"): a small, strict grammar deciding whether a profile section or setting
// applies to a host. A condition is a JSON object whose keys are all true (AND):
//   "numa_nodes": 2 | {">": 1}          "cpus": {">=": 4, "<": 512}      (ops ==, !=, <, <=, >, >=)
//   "kernel": {">=": "5.10"}            "virtualized": false
//   "nic_driver": "mlx5*" | ["i40e", "ice"]    (glob; true when any NIC's driver matches)
//   "cgroup_mode": "unified" | ["hybrid", "legacy"]
//   "knob_exists": "sysctl:net.netfilter.nf_conntrack_max" | [address, ...]  (all exist)
//   "all": [cond, ...]   "any": [cond, ...]   "not": cond
// A fact the host could not provide makes its clause false (a setting is never applied on a guess).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "probes/snapshot.h"

namespace tunectl {

struct HostFacts {
  std::optional<int64_t> numa_nodes, cpus;
  std::optional<std::string> kernel;
  std::optional<bool> virtualized;
  std::optional<std::vector<std::string>> nic_drivers;  // of physical NICs
  std::optional<std::string> cgroup_mode;
  // Whether the knob at an address has its file on this host; unset when no host was given
  // (then "knob_exists" is unknown, hence false).
  std::function<bool(const std::string& address)> knob_exists;
};

HostFacts host_facts(const Snapshot& snap);

// Throws JsonError (pointer under `at`) when `cond` is not a valid condition.
void validate_condition(const json& cond, const std::string& at);

// nullopt when the condition holds, else why not ("numa_nodes > 1 is false: numa_nodes is 1").
std::optional<std::string> condition_fails(const json& cond, const HostFacts& facts);

// "kernel >= 5.10 and virtualized == false", for display.
std::string describe_condition(const json& cond);

// Kernel release ordering: "5.10.0-28-amd64" vs "5.10" compares 5.10.0 with 5.10(.0). Returns
// <0, 0, >0; nullopt when either is not a version.
std::optional<int> compare_versions(const std::string& a, const std::string& b);

}  // namespace tunectl
