// The tcp probe on throwaway trees (formats copied from a 6.x kernel's /proc) and, as root, on a
// private network namespace where every socket is ours, so counts are exact.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <thread>

#include "core/errors.h"
#include "probes/netlink/sock_diag.h"
#include "probes/tcp.h"
#include "tests/unit/test_helpers.h"

namespace tunectl {
namespace {

using test::TempTree;

const char* kSockstat =
    "sockets: used 13\n"
    "TCP: inuse 7 orphan 1 tw 4 alloc 9 mem 256\n"
    "UDP: inuse 0 mem 0\n"
    "UDPLITE: inuse 0\n"
    "RAW: inuse 0\n"
    "FRAG: inuse 0 memory 0\n";

// The TcpExt pair as a 6.x kernel prints it (abridged), plus the IpExt pair that follows.
const std::string kNetstatHeader =
    "TcpExt: SyncookiesSent SyncookiesRecv TW TWRecycled TWKilled DelayedACKs TCPAbortOnData "
    "TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger TCPAbortFailed "
    "TCPTimeWaitOverflow TCPKeepAlive TCPDelivered\n";
const std::string kNetstatValues = "TcpExt: 0 0 11 0 2 7 416 3 0 5 1 0 0 63 9000\n";
const std::string kIpExt =
    "IpExt: InNoRoutes InTruncatedPkts InOctets OutOctets\n"
    "IpExt: 0 0 22826708 31399\n";

void write_sysctls(const TempTree& t) {
  const std::pair<const char*, const char*> values[] = {
      {"proc/sys/net/ipv4/tcp_keepalive_time", "7200\n"},
      {"proc/sys/net/ipv4/tcp_keepalive_intvl", "75\n"},
      {"proc/sys/net/ipv4/tcp_keepalive_probes", "9\n"},
      {"proc/sys/net/ipv4/tcp_fin_timeout", "60\n"},
      {"proc/sys/net/ipv4/tcp_tw_reuse", "2\n"},
      {"proc/sys/net/ipv4/tcp_max_tw_buckets", "262144\n"},
      {"proc/sys/net/ipv4/tcp_orphan_retries", "0\n"},
      {"proc/sys/net/ipv4/tcp_max_orphans", "262144\n"},
      {"proc/sys/net/core/somaxconn", "4096\n"},
      {"proc/sys/net/ipv4/tcp_max_syn_backlog", "1024\n"},
      {"proc/sys/net/ipv4/tcp_syn_retries", "6\n"},
      {"proc/sys/net/ipv4/tcp_synack_retries", "5\n"},
      {"proc/sys/net/core/busy_poll", "0\n"},
      {"proc/sys/net/core/busy_read", "0\n"},
      {"proc/sys/net/core/rps_sock_flow_entries", "0\n"},
      {"proc/sys/net/core/netdev_max_backlog", "1000\n"},
      {"proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n"},
      {"proc/sys/net/ipv4/tcp_wmem", "4096\t16384\t4194304\n"},
      {"proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n"},
  };
  for (const auto& [rel, v] : values) t.write(rel, v);
}

void write_tree(const TempTree& t) {
  write_sysctls(t);
  t.write("proc/net/sockstat", kSockstat);
  t.write("proc/net/netstat", kNetstatHeader + kNetstatValues + kIpExt);
}

bool has_error(const ProbeErrors& errors, const std::string& needle) {
  return std::any_of(errors.begin(), errors.end(), [&](const auto& e) { return e.find(needle) != std::string::npos; });
}

TEST(TcpProbe, ReadsSysctlsSockstatAndCountersFromATree) {
  TempTree t;
  write_tree(t);
  ProbeErrors errors;
  Tcp tcp = probe_tcp(Host(t.path()), errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(tcp.sysctls.size(), tcp_sysctl_names().size());
  EXPECT_EQ(tcp.sysctls.at("net.ipv4.tcp_keepalive_time"), 7200);
  EXPECT_EQ(tcp.sysctls.at("net.ipv4.tcp_tw_reuse"), 2);
  EXPECT_EQ(tcp.sysctls.at("net.core.somaxconn"), 4096);
  EXPECT_TRUE(tcp.sysctls.at("net.ipv4.tcp_keepalive_time").is_number_integer());
  // Multi-value sysctls: one space between values, whatever the kernel's separators.
  EXPECT_EQ(tcp.sysctls.at("net.ipv4.tcp_rmem"), "4096 131072 6291456");
  EXPECT_EQ(tcp.sysctls.at("net.ipv4.ip_local_port_range"), "32768 60999");

  EXPECT_EQ(tcp.sockstat, (std::map<std::string, int64_t>{
                              {"inuse", 7}, {"orphan", 1}, {"tw", 4}, {"alloc", 9}, {"mem", 256}}));
  EXPECT_EQ(tcp.counters, (std::map<std::string, int64_t>{{"TW", 11},
                                                          {"TWRecycled", 0},
                                                          {"TWKilled", 2},
                                                          {"TCPAbortOnData", 416},
                                                          {"TCPAbortOnClose", 3},
                                                          {"TCPAbortOnMemory", 0},
                                                          {"TCPAbortOnTimeout", 5},
                                                          {"TCPAbortOnLinger", 1},
                                                          {"TCPAbortFailed", 0},
                                                          {"TCPTimeWaitOverflow", 0},
                                                          {"TCPKeepAlive", 63}}));
  EXPECT_FALSE(tcp.sockets);
  EXPECT_EQ(tcp.sockets_unavailable, "live host only");
}

TEST(TcpProbe, MissingOrEmptySysctlIsNullWithItsPathInTheErrors) {
  TempTree t;
  write_tree(t);
  ::unlink((t.path() + "/proc/sys/net/core/busy_poll").c_str());
  t.write("proc/sys/net/ipv4/tcp_fin_timeout", "\n");
  ProbeErrors errors;
  Tcp tcp = probe_tcp(Host(t.path()), errors);
  EXPECT_TRUE(tcp.sysctls.at("net.core.busy_poll").is_null());
  EXPECT_TRUE(tcp.sysctls.at("net.ipv4.tcp_fin_timeout").is_null());
  EXPECT_TRUE(has_error(errors, "/proc/sys/net/core/busy_poll: No such file or directory"));
  EXPECT_TRUE(has_error(errors, "/proc/sys/net/ipv4/tcp_fin_timeout: empty"));
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_EQ(tcp.sysctls.at("net.ipv4.tcp_keepalive_time"), 7200);  // the rest unaffected
}

TEST(TcpProbe, GarbledCounterCostsOnlyThatCounter) {
  TempTree t;
  write_tree(t);
  std::string values = kNetstatValues;
  values.replace(values.find(" 63 "), 4, " 6x3 ");
  t.write("proc/net/netstat", kNetstatHeader + values + kIpExt);
  ProbeErrors errors;
  Tcp tcp = probe_tcp(Host(t.path()), errors);
  EXPECT_EQ(tcp.counters.count("TCPKeepAlive"), 0u);
  EXPECT_TRUE(has_error(errors, "TcpExt.TCPKeepAlive: '6x3' is not a counter"));
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_EQ(tcp.counters.at("TCPAbortOnData"), 416);
  EXPECT_EQ(tcp.counters.at("TW"), 11);
}

TEST(TcpProbe, TruncatedValueLineKeepsTheHeadAndNamesTheLostCounters) {
  TempTree t;
  write_tree(t);
  t.write("proc/net/netstat", kNetstatHeader + "TcpExt: 0 0 11 0 2 7 416\n");  // file cut short
  ProbeErrors errors;
  Tcp tcp = probe_tcp(Host(t.path()), errors);
  EXPECT_EQ(tcp.counters.at("TW"), 11);
  EXPECT_EQ(tcp.counters.at("TCPAbortOnData"), 416);
  EXPECT_EQ(tcp.counters.count("TCPAbortOnClose"), 0u);
  EXPECT_TRUE(has_error(errors, "TcpExt has 15 names but 7 values"));
  EXPECT_TRUE(has_error(errors, "TcpExt.TCPKeepAlive: no value"));
  EXPECT_TRUE(has_error(errors, "TcpExt.TCPAbortOnClose: no value"));
}

TEST(TcpProbe, NetstatWithoutTcpExtOrMissingFilesGivesErrorsNotACrash) {
  TempTree t;
  write_sysctls(t);
  t.write("proc/net/netstat", "TcpExt: TW TWKilled\n");  // header without its value line
  ProbeErrors errors;
  Tcp tcp = probe_tcp(Host(t.path()), errors);
  EXPECT_TRUE(tcp.counters.empty());
  EXPECT_TRUE(tcp.sockstat.empty());
  EXPECT_TRUE(has_error(errors, "/proc/net/netstat: no TcpExt header and value lines"));
  EXPECT_TRUE(has_error(errors, "/proc/net/sockstat: No such file or directory"));
  EXPECT_EQ(tcp.sysctls.at("net.core.somaxconn"), 4096);
}

TEST(TcpProbe, SockstatWithoutTcpLineIsAnError) {
  TempTree t;
  write_tree(t);
  t.write("proc/net/sockstat", "sockets: used 3\nUDP: inuse 0 mem 0\n");
  ProbeErrors errors;
  Tcp tcp = probe_tcp(Host(t.path()), errors);
  EXPECT_TRUE(tcp.sockstat.empty());
  EXPECT_TRUE(has_error(errors, "/proc/net/sockstat: no TCP line"));
}

TEST(TcpProbe, StateNamesFollowTheKernel) {
  EXPECT_EQ(tcp_state_name(1), "ESTABLISHED");
  EXPECT_EQ(tcp_state_name(6), "TIME_WAIT");
  EXPECT_EQ(tcp_state_name(10), "LISTEN");
  EXPECT_EQ(tcp_state_name(11), "CLOSING");
  EXPECT_EQ(tcp_state_name(99), "STATE_99");
  EXPECT_EQ(tcp_state_name(0), "STATE_0");
}

TEST(TcpProbe, JsonRoundTripKeepsSocketsNull) {
  TempTree t;
  write_tree(t);
  ProbeErrors errors;
  Tcp tcp = probe_tcp(Host(t.path()), errors);
  json j = tcp;
  EXPECT_TRUE(j.at("sockets").is_null());
  EXPECT_EQ(j.at("sockets_unavailable"), "live host only");
  EXPECT_EQ(j.at("sysctls").at("net.ipv4.tcp_wmem"), "4096 16384 4194304");
  Tcp back = j.get<Tcp>();
  EXPECT_EQ(back.counters, tcp.counters);
  EXPECT_EQ(back.sysctls, tcp.sysctls);
}

// --- live sock_diag, in a private network namespace (root only) -------------------------------

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// Each moment dumped both ways: every family in one walk, and one dump per family.
struct Moment {
  SocketSummary one_walk, per_family;
};

Moment dump_both_ways() { return {probe_tcp_sockets(TcpDump::kOneWalk), probe_tcp_sockets(TcpDump::kPerFamily)}; }

struct NetnsResult {
  std::string error;
  Moment before, after, after_close;
  std::multiset<int> one_walk_families;  // idiag_family of each socket the one-walk request returned
};

// Runs in its own thread: unshare(CLONE_NEWNET) moves only this thread into a fresh namespace,
// so no other process's sockets can appear in the counts.
void sockets_in_private_netns(NetnsResult& r) {
  if (::unshare(CLONE_NEWNET) != 0) return void(r.error = std::string("unshare: ") + std::strerror(errno));
  {
    Fd s(::socket(AF_INET, SOCK_DGRAM, 0));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(s.fd, SIOCGIFFLAGS, &ifr) != 0) return void(r.error = "SIOCGIFFLAGS lo failed");
    ifr.ifr_flags |= IFF_UP;
    if (::ioctl(s.fd, SIOCSIFFLAGS, &ifr) != 0) return void(r.error = "SIOCSIFFLAGS lo failed");
  }
  r.before = dump_both_ways();
  Fd listener(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener.fd, 8) != 0 ||
      ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return void(r.error = "listen failed");
  Fd v6_listener(::socket(AF_INET6, SOCK_STREAM, 0));  // the AF_INET6 dump must count it too
  sockaddr_in6 addr6{};
  addr6.sin6_family = AF_INET6;
  addr6.sin6_addr = in6addr_loopback;
  if (::bind(v6_listener.fd, reinterpret_cast<sockaddr*>(&addr6), sizeof addr6) != 0 || ::listen(v6_listener.fd, 8) != 0)
    return void(r.error = "ipv6 listen failed");
  Fd client(::socket(AF_INET, SOCK_STREAM, 0));
  int one = 1;
  ::setsockopt(client.fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  if (::connect(client.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return void(r.error = "connect failed");
  Fd server(::accept(listener.fd, nullptr, nullptr));
  r.after = dump_both_ways();
  // The one walk itself, not its fallback: it must return sockets of both families.
  SockDiag().dump_tcp_every_family([&](const inet_diag_msg& m) { r.one_walk_families.insert(m.idiag_family); });
  // Active close from the client: it ends in TIME_WAIT once the server closes too.
  ::close(client.fd);
  client.fd = -1;
  ::close(server.fd);
  server.fd = -1;
  usleep(50 * 1000);
  r.after_close = dump_both_ways();
}

TEST(TcpProbeLive, CountsStatesAndKeepaliveTimersInAPrivateNamespace) {
  ASSERT_EQ(::geteuid(), 0u) << "live tests run as root (scripts/test.sh): unshare(CLONE_NEWNET) needs it";
  NetnsResult r;
  std::thread([&r] {
    try {
      sockets_in_private_netns(r);
    } catch (const std::exception& e) {  // a refused dump fails the test, not the test binary
      r.error = e.what();
    }
  }).join();
  ASSERT_EQ(r.error, "");
  for (const Moment* m : {&r.before, &r.after, &r.after_close}) {
    EXPECT_EQ(m->one_walk.by_state, m->per_family.by_state);
    EXPECT_EQ(m->one_walk.total, m->per_family.total);
    EXPECT_EQ(m->one_walk.keepalive_timers, m->per_family.keepalive_timers);
  }
  EXPECT_EQ(r.before.one_walk.total, 0);
  EXPECT_EQ(r.before.one_walk.by_state.at("LISTEN"), 0);
  EXPECT_EQ(r.after.one_walk.by_state.at("LISTEN"), 2);
  EXPECT_EQ(r.after.one_walk.by_state.at("ESTABLISHED"), 2);
  EXPECT_EQ(r.after.one_walk.total, 4);
  EXPECT_EQ(r.after.one_walk.keepalive_timers, 1);  // only the client set SO_KEEPALIVE
  EXPECT_EQ(r.one_walk_families, (std::multiset<int>{AF_INET, AF_INET, AF_INET, AF_INET6}));
  EXPECT_EQ(r.after_close.one_walk.by_state.at("ESTABLISHED"), 0);
  EXPECT_EQ(r.after_close.one_walk.by_state.at("TIME_WAIT"), 1);
  EXPECT_EQ(r.after_close.one_walk.keepalive_timers, 0);
}

TEST(TcpProbeLive, LiveHostNamesItsNamespaceAndDumpsSockets) {
  ProbeErrors errors;
  Tcp tcp = probe_tcp(Host("/"), errors);
  char buf[64] = {};
  ASSERT_GT(::readlink("/proc/self/ns/net", buf, sizeof buf - 1), 0);
  EXPECT_EQ(tcp.netns, std::string(buf));
  ASSERT_TRUE(tcp.sockets) << tcp.sockets_unavailable.value_or("");
  int64_t sum = 0;
  for (const auto& [state, n] : tcp.sockets->by_state) sum += n;
  EXPECT_EQ(sum, tcp.sockets->total);
  EXPECT_TRUE(tcp.sysctls.at("net.ipv4.tcp_keepalive_time").is_number_integer());
}

}  // namespace
}  // namespace tunectl
