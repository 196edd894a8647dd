#include "probes/netlink/sock_diag.h"

#include <linux/sock_diag.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <string>

#include "core/errors.h"

namespace tunectl {
namespace {

struct DumpContext {
  const std::function<void(const inet_diag_msg&)>* fn;
  size_t short_messages = 0;
};

int on_valid(nl_msg* msg, void* arg) {
  auto* ctx = static_cast<DumpContext*>(arg);
  nlmsghdr* hdr = nlmsg_hdr(msg);
  if (hdr->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) {
    ++ctx->short_messages;
    return NL_SKIP;
  }
  (*ctx->fn)(*static_cast<const inet_diag_msg*>(nlmsg_data(hdr)));
  return NL_OK;
}

[[noreturn]] void fail(const std::string& what, int nlerr) {
  throw Error("sock_diag: " + what + ": " + nl_geterror(nlerr));
}

}  // namespace

void SockDiag::Free::operator()(nl_sock* sk) const { nl_socket_free(sk); }  // also closes

SockDiag::SockDiag() : sk_(nl_socket_alloc()) {
  if (!sk_) throw Error("sock_diag: cannot allocate a netlink socket");
  if (int rc = nl_connect(sk_.get(), NETLINK_SOCK_DIAG); rc < 0) fail("connect", rc);
  // A dump ends with NLMSG_DONE; an extra ACK would only be left unread in the socket.
  nl_socket_disable_auto_ack(sk_.get());
  // Peek each datagram's size so a large dump batch is never truncated.
  nl_socket_enable_msg_peek(sk_.get());
}

void SockDiag::dump_inet(uint8_t family, uint8_t protocol,
                         const std::function<void(const inet_diag_msg&)>& fn) {
  inet_diag_req_v2 req{};
  req.sdiag_family = family;
  req.sdiag_protocol = protocol;
  req.idiag_states = ~0u;  // every state, including ones newer kernels add
  dump(SOCK_DIAG_BY_FAMILY, &req, sizeof req, std::string(family == AF_INET6 ? "inet6" : "inet") + " dump", fn);
}

void SockDiag::dump_tcp_every_family(const std::function<void(const inet_diag_msg&)>& fn) {
  inet_diag_req req{};  // its family is ignored: the kernel dumps AF_UNSPEC for this request
  req.idiag_states = ~0u;
  dump(TCPDIAG_GETSOCK, &req, sizeof req, "tcp dump", fn);
}

void SockDiag::dump(int type, void* req, size_t size, const std::string& what,
                    const std::function<void(const inet_diag_msg&)>& fn) {
  if (int rc = nl_send_simple(sk_.get(), type, NLM_F_REQUEST | NLM_F_DUMP, req, size); rc < 0)
    fail(what + " request", rc);
  DumpContext ctx{&fn};
  if (int rc = nl_socket_modify_cb(sk_.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &ctx); rc < 0)
    fail("callback", rc);
  if (int rc = nl_recvmsgs_default(sk_.get()); rc < 0) fail(what, rc);
  if (ctx.short_messages)
    throw Error("sock_diag: " + what + ": " + std::to_string(ctx.short_messages) + " truncated messages");
}

}  // namespace tunectl
