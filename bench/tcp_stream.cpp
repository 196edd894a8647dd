// tcp_stream: loopback bulk throughput. A pinned sender writes fixed-size chunks for a fixed time,
// a pinned receiver reads until EOF; throughput is measured at the receiver (first byte to EOF)
// and CPU cost is both threads' user+system time (getrusage RUSAGE_THREAD) per 10^9 bytes.
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/errors.h"
#include "bench/bench.h"
#include "bench/bench_clock.h"
#include "bench/loopback.h"

namespace tunectl::bench {
namespace {

using namespace loopback;

class TcpStream : public Benchmark {
 public:
  std::string name() const override { return "tcp_stream"; }
  std::string summary() const override { return "loopback TCP bulk throughput (Gbit/s) and CPU seconds per GB"; }
  std::vector<OptionSpec> options() const override {
    std::vector<OptionSpec> o = {
        {"msg-size", "131072", "bytes per send() and recv() (1..16777216)"},
        {"duration", "1", "seconds of sending per run (0.01..60)"},
    };
    auto cpus = cpu_option_specs();
    o.insert(o.end(), cpus.begin(), cpus.end());
    return o;
  }
  double estimated_seconds(const Options& opts) const override {
    return opts.number("duration") + 0.05;
  }
  std::vector<MetricSpec> metrics() const override {
    return {{"gbit_per_s", "Gbit/s", true}, {"cpu_s_per_gb", "s/GB", false}};
  }
  std::optional<std::string> unavailable(const Host& host, const Options&) const override {
    if (!host.is_live()) return "needs the live host (--root /)";
    return std::nullopt;
  }

  // Placement is decided once, before the warm-up: every run of this side uses the same CPUs.
  void setup(const Options& opts) override { placement_ = place_threads(opts); }
  json notes() const override { return placement_ ? json{{"placement", placement_->seen}} : json::object(); }

  RunResult run_once(const Options& opts) override {
    const size_t size = static_cast<size_t>(opts.integer_in("msg-size", 1, 1 << 24));
    const int64_t duration_ns = static_cast<int64_t>(opts.number_in("duration", 0.01, 60) * 1e9);
    if (!placement_) placement_ = place_threads(opts);
    const auto client_cpu = placement_->client, server_cpu = placement_->server;

    Listener listener = listen_loopback(1);
    // Timed bytes exclude the first read: the clock starts when it arrives.
    int64_t bytes = 0, timed_bytes = 0, first_ns = 0, last_ns = 0;
    double receiver_cpu = 0, sender_cpu = 0;
    Worker receiver([&] {
      pin_this_thread(server_cpu);
      const double cpu0 = thread_cpu_seconds();
      UniqueFd conn = accept_conn(listener);
      std::string buf(size, '\0');
      while (true) {
        ssize_t n = ::recv(conn.get(), buf.data(), size, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(std::string("tcp_stream: recv: ") + std::strerror(errno));
        if (n == 0) break;
        last_ns = now_ns();
        if (bytes == 0)
          first_ns = last_ns;
        else
          timed_bytes += n;
        bytes += n;
      }
      receiver_cpu = thread_cpu_seconds() - cpu0;
    });
    Worker sender([&] {
      pin_this_thread(client_cpu);
      const double cpu0 = thread_cpu_seconds();
      UniqueFd conn = connect_loopback(listener.port);
      std::string buf(size, 's');
      const int64_t deadline = now_ns() + duration_ns;
      while (now_ns() < deadline) send_all(conn, buf.data(), size);
      ::shutdown(conn.get(), SHUT_WR);
      sender_cpu = thread_cpu_seconds() - cpu0;
    });
    sender.join();
    receiver.join();
    if (timed_bytes == 0 || last_ns <= first_ns) throw Error("tcp_stream: too little data arrived to time");

    const double seconds = (last_ns - first_ns) / 1e9;
    RunResult r;
    r.metrics = {{"gbit_per_s", timed_bytes * 8 / seconds / 1e9}, {"cpu_s_per_gb", (sender_cpu + receiver_cpu) / (bytes / 1e9)}};
    r.detail = {{"bytes", bytes},
                {"seconds", seconds},
                {"sender_cpu_s", sender_cpu},
                {"receiver_cpu_s", receiver_cpu},
                {"client_cpu", client_cpu},
                {"server_cpu", server_cpu}};
    return r;
  }

 private:
  std::optional<Placement> placement_;
};

}  // namespace

BenchKind bench_tcp_stream() { return {"tcp_stream", [] { return std::make_unique<TcpStream>(); }}; }

}  // namespace tunectl::bench
