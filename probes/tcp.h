// TCP keepalive / linger / TIME_WAIT state: sysctls, sockstat, TcpExt counters, and on the live
// host a sock_diag dump of this network namespace's sockets.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"

namespace tunectl {

struct SocketSummary {
  std::map<std::string, int64_t> by_state;  // "ESTABLISHED" -> 12, "TIME_WAIT" -> 3
  int64_t total = 0;
  int64_t keepalive_timers = 0;             // sockets with the keepalive timer armed
};

struct Tcp {
  std::map<std::string, json> sysctls;     // dotted name -> number, or string for multi-value
  std::map<std::string, int64_t> sockstat;  // TCP: inuse, orphan, tw, alloc, mem
  std::map<std::string, int64_t> counters;  // TcpExt keepalive/abort/TW counters
  std::optional<SocketSummary> sockets;
  std::optional<std::string> sockets_unavailable;
  std::optional<std::string> netns;         // "net:[4026531840]" on the live host
};

// The sysctls this probe reports (dotted names), in display order.
const std::vector<std::string>& tcp_sysctl_names();
// The TcpExt counters it reports when the kernel has them, in display order.
const std::vector<std::string>& tcp_counter_names();
// Kernel TCP state number -> name as in include/net/tcp_states.h ("TIME_WAIT"); "STATE_<n>"
// for numbers this build does not know.
std::string tcp_state_name(int state);

// Sysctls, sockstat and counters from the host's files (a captured tree too); sockets through
// sock_diag on the live host only, else null with sockets_unavailable.
Tcp probe_tcp(const Host& host, ProbeErrors& errors);

// How the sockets are dumped: every family in one walk of the kernel's socket hash (the per-family
// dumps when the kernel refuses it), or one dump per family, side by side.
enum class TcpDump { kOneWalk, kPerFamily };

// The live sock_diag summary of this process's network namespace (IPv4 and IPv6 TCP sockets).
// Throws Error when sock_diag is unavailable.
SocketSummary probe_tcp_sockets(TcpDump how = TcpDump::kOneWalk);

// JSON both ways; a missing key keeps the default (older snapshots still load).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SocketSummary, by_state, total, keepalive_timers)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Tcp, sysctls, sockstat, counters, sockets, sockets_unavailable, netns)

}  // namespace tunectl
