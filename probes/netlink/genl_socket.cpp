#include "probes/netlink/genl_socket.h"

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include "core/errors.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace tunectl {
namespace {

struct MsgFree {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
struct CbFree {
  void operator()(nl_cb* c) const { nl_cb_put(c); }
};

struct Exchange {
  const GenlSocket::OnReply* on_reply = nullptr;
  GenlStatus status;
  bool done = false;
};

int on_valid(nl_msg* msg, void* arg) {
  auto* ex = static_cast<Exchange*>(arg);
  if (*ex->on_reply) (*ex->on_reply)(nlmsg_hdr(msg));
  return NL_OK;
}

int on_finish(nl_msg*, void* arg) {
  static_cast<Exchange*>(arg)->done = true;
  return NL_STOP;
}

// The extack TLVs follow the nlmsgerr (and the echoed request unless the kernel capped it).
std::string extack_message(const nlmsgerr* e) {
  const auto* hdr = reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(e) - NLMSG_HDRLEN);
  if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS)) return {};
  size_t offset = sizeof(nlmsgerr);
  if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) offset += e->msg.nlmsg_len - sizeof(nlmsghdr);
  const size_t payload = hdr->nlmsg_len - NLMSG_HDRLEN;
  if (offset >= payload) return {};
  auto* attrs = reinterpret_cast<nlattr*>(const_cast<char*>(reinterpret_cast<const char*>(e)) + offset);
  int len = static_cast<int>(payload - offset);
  nlattr* a;
  int rem;
  nla_for_each_attr(a, attrs, len, rem) {
    if (nla_type(a) == NLMSGERR_ATTR_MSG) return std::string(nla_get_string(a));
  }
  return {};
}

int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
  auto* ex = static_cast<Exchange*>(arg);
  ex->status.err = -e->error;
  ex->status.message = extack_message(e);
  if (ex->status.message.empty()) ex->status.message = std::strerror(ex->status.err);
  ex->done = true;
  return NL_STOP;
}

}  // namespace

GenlSocket::GenlSocket(const std::string& family) : name_(family) {
  sock_ = nl_socket_alloc();
  if (!sock_) throw Error("netlink: cannot allocate a socket");
  if (int rc = genl_connect(sock_); rc < 0) {
    nl_socket_free(sock_);
    throw Error("netlink: cannot connect a generic netlink socket: " + std::string(nl_geterror(rc)));
  }
  // Ask for the kernel's error text and no echo of our request in error replies.
  int one = 1;
  setsockopt(nl_socket_get_fd(sock_), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(nl_socket_get_fd(sock_), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  nl_socket_disable_auto_ack(sock_);  // ACKs are requested per message (do yes, dump no)
  family_ = genl_ctrl_resolve(sock_, family.c_str());
  if (family_ < 0) {
    nl_socket_free(sock_);
    throw Error("generic netlink family '" + family + "' is not available in this kernel");
  }
}

GenlSocket::~GenlSocket() { nl_socket_free(sock_); }

GenlStatus GenlSocket::request(uint8_t cmd, const Builder& build, const OnReply& on_reply) {
  return transact(cmd, NLM_F_ACK, build, on_reply);
}

GenlStatus GenlSocket::dump(uint8_t cmd, const Builder& build, const OnReply& on_reply) {
  return transact(cmd, NLM_F_DUMP, build, on_reply);
}

GenlStatus GenlSocket::transact(uint8_t cmd, int flags, const Builder& build, const OnReply& on_reply) {
  std::unique_ptr<nl_msg, MsgFree> msg(nlmsg_alloc());
  if (!msg) return {ENOMEM, "netlink: out of memory"};
  if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, flags, cmd, 1) ||
      (build && !build(msg.get())))
    return {EMSGSIZE, name_ + ": request does not fit in a netlink message"};

  std::unique_ptr<nl_cb, CbFree> cb(nl_cb_alloc(NL_CB_DEFAULT));
  if (!cb) return {ENOMEM, "netlink: out of memory"};
  Exchange ex;
  ex.on_reply = &on_reply;
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &ex);
  nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_finish, &ex);
  nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &ex);
  nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &ex);

  if (int rc = nl_send_auto(sock_, msg.get()); rc < 0)
    return {EIO, name_ + ": send failed: " + std::string(nl_geterror(rc))};
  while (!ex.done) {
    int rc = nl_recvmsgs(sock_, cb.get());
    if (rc < 0 && !ex.done) return {EIO, name_ + ": receive failed: " + std::string(nl_geterror(rc))};
  }
  return ex.status;
}

}  // namespace tunectl
