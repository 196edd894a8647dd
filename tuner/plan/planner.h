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

// The snapshot a plan is made from (every area).
Snapshot plan_snapshot(const Host& host);


}  // namespace tunectl
