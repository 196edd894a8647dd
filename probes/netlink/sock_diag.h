// A NETLINK_SOCK_DIAG socket (libnl's nl_sock, owned RAII) that dumps inet sockets with
// inet_diag_req_v2: the same kernel interface `ss` uses, without parsing /proc/net/tcp.
// Live host only: it sees the network namespace of the calling process.
#pragma once
#include <linux/inet_diag.h>

#include <cstdint>
#include <functional>
#include <memory>

struct nl_sock;

namespace tunectl {

class SockDiag {
 public:
  // Opens and connects the socket; throws Error naming the libnl failure.
  SockDiag();

  // Calls `fn` once per socket of `protocol` (IPPROTO_TCP, ...) in `family` (AF_INET or
  // AF_INET6), in every state (listening, TIME_WAIT and request sockets included). Extensions
  // (tcp_info, meminfo) are not requested: the base message already carries state and timer.
  // Throws Error if the dump fails; `fn` must not throw.
  void dump_inet(uint8_t family, uint8_t protocol, const std::function<void(const inet_diag_msg&)>& fn);

 private:
  struct Free {
    void operator()(nl_sock* sk) const;
  };
  std::unique_ptr<nl_sock, Free> sk_;
};

}  // namespace tunectl
