// PLACEHOLDER: replaced by the real probe.
#include "probes/tcp.h"
#include "probes/errors.h"
namespace tunectl {
Tcp probe_tcp(const Host&, ProbeErrors&) { throw Error("tcp probe is not implemented yet"); }
}  // namespace tunectl
