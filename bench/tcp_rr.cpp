// tcp_rr: loopback TCP request/response latency. One connection, client and server threads pinned
// to chosen CPUs, ping-pong of a fixed-size message for a fixed time; each round trip is timed
// with CLOCK_MONOTONIC on the client (send start to last response byte), like sockperf ping-pong.
#include <algorithm>
#include <string>

#include "core/errors.h"
#include "bench/bench.h"
#include "bench/bench_clock.h"
#include "bench/loopback.h"
#include "bench/stats.h"

namespace tunectl::bench {
namespace {

using namespace loopback;

class TcpRr : public Benchmark {
 public:
  std::string name() const override { return "tcp_rr"; }
  std::string summary() const override {
    return "loopback TCP ping-pong latency (p50/p90/p99/p99.9 round trip) and transactions/s";
  }
  std::vector<OptionSpec> options() const override {
    std::vector<OptionSpec> o = {
        {"msg-size", "64", "request and response size in bytes (1..1048576)"},
        {"duration", "1", "seconds of ping-pong per run (0.01..60)"},
        {"nodelay", "1", "set TCP_NODELAY on both sockets (1/0)"},
    };
    for (auto& v : {cpu_option_specs(), keepalive_option_specs()}) o.insert(o.end(), v.begin(), v.end());
    return o;
  }
  double estimated_seconds(const Options& opts) const override {
    return opts.number("duration") + 0.05;  // connect and thread start
  }
  std::vector<MetricSpec> metrics() const override {
    return {{"rtt_p50_us", "us", false}, {"rtt_p90_us", "us", false}, {"rtt_p99_us", "us", false},
            {"rtt_p999_us", "us", false}, {"tps", "1/s", true}};
  }
  std::optional<std::string> unavailable(const Host& host, const Options&) const override {
    if (!host.is_live()) return "needs the live host (--root /)";
    return std::nullopt;
  }

  // Placement is decided once, before the warm-up: every run of this side uses the same CPUs.
  void setup(const Options& opts) override { placement_ = place_threads(opts); }
  json notes() const override { return placement_ ? json{{"placement", placement_->seen}} : json::object(); }

  RunResult run_once(const Options& opts) override {
    const size_t size = static_cast<size_t>(opts.integer_in("msg-size", 1, 1 << 20));
    const int64_t duration_ns = static_cast<int64_t>(opts.number_in("duration", 0.01, 60) * 1e9);
    const bool nodelay = opts.flag("nodelay");
    const Keepalive ka = keepalive_option(opts);
    if (!placement_) placement_ = place_threads(opts);
    const auto client_cpu = placement_->client, server_cpu = placement_->server;

    Listener listener = listen_loopback(1);
    std::vector<double> rtt_us;
    int64_t elapsed_ns = 0;
    Worker server([&] {
      pin_this_thread(server_cpu);
      UniqueFd conn = accept_conn(listener);
      set_nodelay(conn, nodelay);
      set_keepalive(conn, ka);
      std::string buf(size, '\0');
      while (recv_all(conn, buf.data(), size)) send_all(conn, buf.data(), size);
    });
    Worker client([&] {
      pin_this_thread(client_cpu);
      UniqueFd conn = connect_loopback(listener.port);
      set_nodelay(conn, nodelay);
      set_keepalive(conn, ka);
      std::string req(size, 'q'), resp(size, '\0');
      rtt_us.reserve(1 << 16);
      const int64_t start = now_ns(), deadline = start + duration_ns;
      int64_t t = start;
      while (t < deadline) {
        const int64_t t0 = t;
        send_all(conn, req.data(), size);
        if (!recv_all(conn, resp.data(), size)) throw Error("tcp_rr: server closed the connection");
        t = now_ns();
        rtt_us.push_back((t - t0) / 1e3);
      }
      elapsed_ns = t - start;
    });  // the client's socket closes when its lambda returns: the server sees EOF and stops
    client.join();
    server.join();

    std::sort(rtt_us.begin(), rtt_us.end());
    RunResult r;
    r.metrics = {{"rtt_p50_us", stats::percentile_sorted(rtt_us, 50)},
                 {"rtt_p90_us", stats::percentile_sorted(rtt_us, 90)},
                 {"rtt_p99_us", stats::percentile_sorted(rtt_us, 99)},
                 {"rtt_p999_us", stats::percentile_sorted(rtt_us, 99.9)},
                 {"tps", rtt_us.size() / (elapsed_ns / 1e9)}};
    r.detail = {{"transactions", rtt_us.size()}, {"max_us", rtt_us.back()}, {"client_cpu", client_cpu},
                {"server_cpu", server_cpu}};
    return r;
  }

 private:
  std::optional<Placement> placement_;
};

}  // namespace

BenchKind bench_tcp_rr() { return {"tcp_rr", [] { return std::make_unique<TcpRr>(); }}; }

}  // namespace tunectl::bench
