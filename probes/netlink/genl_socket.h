// GenlSocket: one generic-netlink family on one libnl socket (RAII). Shared by the ethtool and
// netdev clients: request/reply and dump transactions with the kernel's errno and its extended-ACK
// message ("requested channel counts exceed maximum") kept together.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

struct nl_sock;
struct nl_msg;
struct nlmsghdr;

namespace tunectl {

struct GenlStatus {
  int err = 0;          // positive errno; 0 on success
  std::string message;  // the kernel's extack text when it sent one, else strerror(err)
  bool ok() const { return err == 0; }
};

class GenlSocket {
 public:
  // Connects and resolves `family`; throws tunectl::Error naming the family when it is absent.
  explicit GenlSocket(const std::string& family);
  ~GenlSocket();
  GenlSocket(const GenlSocket&) = delete;
  GenlSocket& operator=(const GenlSocket&) = delete;

  // Adds the request's attributes; returns false when a put failed (message too big).
  using Builder = std::function<bool(nl_msg*)>;
  // Called once per reply message (the genl header is at nlmsg_data(hdr)).
  using OnReply = std::function<void(const nlmsghdr*)>;

  // A do-request (GET or SET): waits for the reply (if any) and the ACK.
  GenlStatus request(uint8_t cmd, const Builder& build, const OnReply& on_reply);
  // A dump request: every object of the kind, one reply each, until NLMSG_DONE.
  GenlStatus dump(uint8_t cmd, const Builder& build, const OnReply& on_reply);

 private:
  GenlStatus transact(uint8_t cmd, int flags, const Builder& build, const OnReply& on_reply);
  nl_sock* sock_ = nullptr;
  int family_ = 0;
  std::string name_;
};

}  // namespace tunectl
