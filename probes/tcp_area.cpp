// The tcp area: registry entry and its `tunectl probe` section.
#include <algorithm>

#include "probes/probe_area.h"
#include "probes/table_cells.h"

namespace tunectl {
namespace {

using Align = Table::Align;
using Cell = Table::Cell;

void print_tcp(std::ostream& out, const Snapshot& snap) {
  const Tcp& t = *snap.tcp;
  out << "  network namespace: " << t.netns.value_or("unknown") << " (all values below are per namespace)\n";
  Table sysctls({{"SYSCTL"}, {"VALUE"}});
  for (const auto& name : tcp_sysctl_names()) {
    auto it = t.sysctls.find(name);
    if (it == t.sysctls.end()) continue;
    const json& v = it->second;
    sysctls.add_row({name, v.is_null() ? std::nullopt : Cell(v.is_string() ? v.get<std::string>() : v.dump())});
  }
  sysctls.print(out, "  ");
  out << "  sockstat:";
  for (const char* k : {"inuse", "orphan", "tw", "alloc", "mem"})
    if (auto it = t.sockstat.find(k); it != t.sockstat.end()) out << " " << k << " " << it->second;
  out << "\n";
  if (t.sockets) {
    out << "  sockets (sock_diag): " << t.sockets->total << " total, " << t.sockets->keepalive_timers
        << " with a keepalive timer armed\n";
    Table states({{"STATE"}, {"COUNT", Align::Right}});
    for (const auto& [state, n] : t.sockets->by_state)
      if (n) states.add_row({state, std::to_string(n)});
    if (states.rows()) states.print(out, "  ");
  } else {
    out << "  sockets: unavailable: " << t.sockets_unavailable.value_or("unknown") << "\n";
  }
  if (!t.counters.empty()) {
    Table counters({{"TcpExt COUNTER"}, {"VALUE", Align::Right}});
    for (const auto& name : tcp_counter_names())
      if (auto it = t.counters.find(name); it != t.counters.end()) counters.add_row({name, std::to_string(it->second)});
    counters.print(out, "  ");
  }
}

}  // namespace

ProbeArea probe_area_tcp() {
  ProbeArea a = member_area(&Snapshot::tcp, "tcp", "tcp", "TCP");
  a.kernel_files = {"/proc/net/sockstat", "/proc/net/netstat"};
  for (std::string dotted : tcp_sysctl_names()) {
    std::replace(dotted.begin(), dotted.end(), '.', '/');
    a.kernel_files.push_back("/proc/sys/" + dotted);
  }
  a.probe = [](const Host& host, Snapshot& s, ProbeErrors& errors, const AwaitInputs&) {
    s.tcp = probe_tcp(host, errors);
  };
  a.print_table = print_tcp;
  return a;
}

}  // namespace tunectl
