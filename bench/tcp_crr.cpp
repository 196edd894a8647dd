// tcp_crr: connect, request, response, close per transaction on loopback; the client closes first
// (normally, leaving TIME_WAIT on its side, or with SO_LINGER {1,0}, sending RST). Reports
// connections/s and what the run left behind: TIME_WAIT sockets on its port (sock_diag, else
// the sockstat delta), orphans (sockstat delta) and the TcpExt abort counters it moved.
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <string>

#include "core/errors.h"
#include "core/host.h"
#include "core/parse.h"
#include "probes/netlink/sock_diag.h"
#include "bench/bench.h"
#include "bench/bench_clock.h"
#include "bench/loopback.h"

namespace tunectl::bench {
namespace {

using namespace loopback;

// Counters the run reports; TCPAbortOnData is what close() with SO_LINGER {1,0} bumps.
const std::vector<std::string> kAbortCounters = {"TCPAbortOnData", "TCPAbortOnClose", "TCPAbortOnMemory",
                                                 "TCPAbortOnTimeout", "TCPAbortOnLinger", "TCPAbortFailed"};
const std::vector<std::string> kTwCounters = {"TW", "TWRecycled", "TWKilled", "TCPTimeWaitOverflow"};
// The share of the ephemeral port range a run may leave in TIME_WAIT: other programs need the rest.
constexpr int64_t kPortBudgetDivisor = 4;

std::map<std::string, int64_t> tcp_ext(const Host& host) {
  auto r = host.read("/proc/net/netstat");
  if (!r.ok) throw Error(r.error);
  auto parsed = parse_netstat(r.data);
  if (!parsed.ok()) throw Error("/proc/net/netstat: " + parsed.error);
  return (*parsed.value)["TcpExt"];
}

std::map<std::string, int64_t> sockstat_tcp(const Host& host) {
  auto r = host.read("/proc/net/sockstat");
  if (!r.ok) throw Error(r.error);
  return parse_sockstat(r.data)["TCP"];
}

int64_t ephemeral_ports(const Host& host) {
  auto text = host.read_trimmed("/proc/sys/net/ipv4/ip_local_port_range");
  const auto f = text ? split_ws(*text) : std::vector<std::string>{};
  if (f.size() != 2) throw Error("/proc/sys/net/ipv4/ip_local_port_range: unreadable");
  return std::max<int64_t>(0, *parse_int(f[1]) - *parse_int(f[0]) + 1);
}

// TIME_WAIT sockets whose local or remote port is `port`, via sock_diag; nullopt if unavailable.
std::optional<int64_t> time_wait_on_port(uint16_t port) {
  try {
    SockDiag diag;
    int64_t n = 0;
    diag.dump_inet(AF_INET, IPPROTO_TCP, [&](const inet_diag_msg& m) {
      if (m.idiag_state == TCP_TIME_WAIT && (ntohs(m.id.idiag_sport) == port || ntohs(m.id.idiag_dport) == port))
        ++n;
    });
    return n;
  } catch (const Error&) {
    return std::nullopt;
  }
}

class TcpCrr : public Benchmark {
 public:
  std::string name() const override { return "tcp_crr"; }
  std::string summary() const override {
    return "loopback connect/request/response/close rate and the TIME_WAIT, orphans and aborts it leaves";
  }
  std::vector<OptionSpec> options() const override {
    std::vector<OptionSpec> o = {
        {"msg-size", "64", "request and response size in bytes (1..65536)"},
        {"duration", "1", "seconds per run at most (0.01..60)"},
        {"max-conns", "2000", "connections per run at most; also capped to a quarter of the ephemeral "
                              "port range minus the TIME_WAIT sockets already present"},
        {"linger", "0", "close with SO_LINGER {1,0} (RST, no TIME_WAIT) instead of a normal close", true},
    };
    auto cpus = cpu_option_specs();
    o.insert(o.end(), cpus.begin(), cpus.end());
    return o;
  }
  double estimated_seconds(const Options& opts) const override {
    return opts.number("duration") + 0.05;
  }
  // Normal closes leave every connection in TIME_WAIT for 60 s, so runs in a row share one port
  // budget: split it between them.
  void fit_to_runs(const Host& host, std::map<std::string, std::string>& given, int runs) const override {
    if (given.count("max-conns") || given.count("max_conns")) return;
    const int64_t left = ephemeral_ports(host) / kPortBudgetDivisor - sockstat_tcp(host).at("tw");
    const int64_t share = left / std::max(1, runs);
    given["max-conns"] = std::to_string(std::max<int64_t>(1, std::min<int64_t>(2000, share)));
  }
  std::vector<MetricSpec> metrics() const override {
    return {{"conn_per_s", "1/s", true},
            {"time_wait_left", "sockets", false},
            {"orphans_left", "sockets", false},
            {"aborts", "count", false}};
  }
  std::optional<std::string> unavailable(const Host& host, const Options&) const override {
    if (!host.is_live()) return "needs the live host (--root /)";
    return std::nullopt;
  }

  // Placement is decided once, before the warm-up: every run of this side uses the same CPUs.
  void setup(const Options& opts) override { placement_ = place_threads(opts); }
  json notes() const override { return placement_ ? json{{"placement", placement_->seen}} : json::object(); }

  RunResult run_once(const Options& opts) override {
    const size_t size = static_cast<size_t>(opts.integer_in("msg-size", 1, 65536));
    const int64_t duration_ns = static_cast<int64_t>(opts.number_in("duration", 0.01, 60) * 1e9);
    const int64_t max_conns = opts.integer_in("max-conns", 1, 1000000);
    const bool linger = opts.flag("linger");
    if (!placement_) placement_ = place_threads(opts);
    const auto client_cpu = placement_->client, server_cpu = placement_->server;

    const Host host("/");
    const auto sock_before = sockstat_tcp(host);
    const int64_t budget = ephemeral_ports(host) / kPortBudgetDivisor - sock_before.at("tw");
    const int64_t conns_cap = std::min(max_conns, budget);
    if (conns_cap < 1)
      throw Error("tcp_crr: ephemeral port budget used up (" + std::to_string(sock_before.at("tw")) +
                  " sockets in TIME_WAIT); wait for them to expire");
    const auto ext_before = tcp_ext(host);

    Listener listener = listen_loopback(128);
    std::atomic<bool> client_done{false};
    int64_t conns = 0, elapsed_ns = 0;
    Worker server([&] {
      pin_this_thread(server_cpu);
      std::string buf(size, '\0');
      pollfd pfd{listener.fd.get(), POLLIN, 0};
      // Serve one connection at a time until the client is done and the backlog is empty.
      while (true) {
        const int ready = ::poll(&pfd, 1, 20);
        if (ready == 0) {
          if (client_done) return;
          continue;
        }
        UniqueFd conn = accept_conn(listener);
        if (!recv_all(conn, buf.data(), size)) continue;
        send_all(conn, buf.data(), size);
        // Wait for the client's FIN (0) or RST (error) so the client side is the active closer.
        char c;
        (void)::recv(conn.get(), &c, 1, 0);
      }
    });
    {
      struct Done {  // tells the server to stop even when the client throws
        std::atomic<bool>& flag;
        ~Done() { flag = true; }
      };
      Worker client([&] {
        Done done{client_done};
        pin_this_thread(client_cpu);
        std::string req(size, 'q'), resp(size, '\0');
        const int64_t start = now_ns(), deadline = start + duration_ns;
        int64_t t = start;
        while (t < deadline && conns < conns_cap) {
          UniqueFd conn = connect_loopback(listener.port);
          set_nodelay(conn, true);
          if (linger) set_linger_abort(conn);
          send_all(conn, req.data(), size);
          if (!recv_all(conn, resp.data(), size)) throw Error("tcp_crr: server closed before responding");
          conn.reset();
          ++conns;
          t = now_ns();
        }
        elapsed_ns = t - start;
      });
      client.join();
    }
    server.join();

    const auto sock_after = sockstat_tcp(host);
    const auto ext_after = tcp_ext(host);
    const auto tw_diag = time_wait_on_port(listener.port);
    const int64_t tw_delta = std::max<int64_t>(0, sock_after.at("tw") - sock_before.at("tw"));

    RunResult r;
    json moved = json::object();
    int64_t aborts = 0;
    for (const auto* names : {&kAbortCounters, &kTwCounters}) {
      for (const auto& c : *names) {
        auto b = ext_before.find(c), a = ext_after.find(c);
        if (b == ext_before.end() || a == ext_after.end() || a->second == b->second) continue;
        moved[c] = a->second - b->second;
        if (names == &kAbortCounters) aborts += a->second - b->second;
      }
    }
    r.metrics = {{"conn_per_s", conns / (elapsed_ns / 1e9)},
                 {"time_wait_left", static_cast<double>(tw_diag.value_or(tw_delta))},
                 {"orphans_left", static_cast<double>(std::max<int64_t>(0, sock_after.at("orphan") - sock_before.at("orphan")))},
                 {"aborts", static_cast<double>(aborts)}};
    r.detail = {{"connections", conns},
                {"connection_cap", conns_cap},
                {"time_wait_source", tw_diag ? "sock_diag (this run's port)" : "sockstat tw delta (host-wide)"},
                {"sockstat_tw_delta", tw_delta},
                {"counters_moved", moved},
                {"counters_scope", "host-wide TcpExt deltas over the run"}};
    if (conns == conns_cap && conns_cap < max_conns)
      r.detail["capped"] = "stopped at the ephemeral port budget, not the duration";
    return r;
  }

 private:
  std::optional<Placement> placement_;
};

}  // namespace

BenchKind bench_tcp_crr() { return {"tcp_crr", [] { return std::make_unique<TcpCrr>(); }}; }

}  // namespace tunectl::bench
