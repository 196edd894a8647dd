// A NETLINK_SOCK_DIAG socket (libnl's nl_sock, owned RAII) that dumps inet sockets with
// inet_diag_req_v2 (or, for TCP of every family at once, the older inet_diag_req): the same kernel
// interface `ss` uses, without parsing /proc/net/tcp.
// Live host only: it sees the network namespace of the calling process.
#pragma once
#include <linux/inet_diag.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

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
  // The same for TCP sockets of every family in one walk of the kernel's socket hash. A dump by
  // family walks the whole established hash (262 144 buckets on a 24 GB host) once per family,
  // however few sockets there are; the older TCPDIAG_GETSOCK request, which kernels still serve,
  // dumps all families in one walk. Throws Error when the kernel refuses it.
  void dump_tcp_every_family(const std::function<void(const inet_diag_msg&)>& fn);

 private:
  struct Free {
    void operator()(nl_sock* sk) const;
  };
  // Sends one dump request and feeds every answer to `fn`; `what` names it in errors.
  void dump(int type, void* req, size_t size, const std::string& what,
            const std::function<void(const inet_diag_msg&)>& fn);
  std::unique_ptr<nl_sock, Free> sk_;
};

}  // namespace tunectl
