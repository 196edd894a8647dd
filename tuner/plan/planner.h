// The planner: Snapshot x Profile -> Plan. Pure: reads the host through probes, never writes.
#pragma once
#include "core/host.h"
#include "probes/snapshot.h"
#include "tuner/plan/plan.h"
#include "tuner/profile/profile.h"

namespace tunectl {

// Throws ProfileError for what only the host can reveal about a profile (a cgroup path that
// leads through a symlink). Everything else the host cannot do is a skipped change with a reason.
Plan make_plan(const Host& host, const Snapshot& snap, const Profile& profile);

// The snapshot areas (probes/areas.def names) a plan for `profile` reads: those its sections'
// collectors use and those the facts named by its conditions ("when") come from.
std::vector<std::string> plan_areas(const Profile& profile);
// The areas any condition may read (topology: numa_nodes/cpus/virtualized, nic: nic_driver, cgroup:
// cgroup_mode), for evaluating conditions without a plan (`profiles list`).
std::vector<std::string> condition_areas();

// The snapshot a plan is made from: exactly `areas` (plan_areas(profile)), none when empty.
Snapshot plan_snapshot(const Host& host, const std::vector<std::string>& areas);


}  // namespace tunectl
