// The planner: Snapshot x Profile -> Plan. Pure: reads the host through probes, never writes.
#pragma once
#include "probes/host.h"
#include "probes/snapshot.h"
#include "tuner/plan.h"
#include "tuner/profile.h"

namespace tunectl {

Plan make_plan(const Host& host, const Snapshot& snap, const Profile& profile);

}  // namespace tunectl
