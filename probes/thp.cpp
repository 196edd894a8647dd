// PLACEHOLDER: replaced by the real probe.
#include "probes/thp.h"
#include "probes/errors.h"
namespace tunectl {
Thp probe_thp(const Host&, ProbeErrors&) { throw Error("thp probe is not implemented yet"); }
}  // namespace tunectl
