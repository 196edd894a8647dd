// Shared pieces of the loopback TCP benchmarks: RAII sockets and threads, CPU pinning, the
// common options (CPUs, keepalive), and blocking I/O with timeouts so no run can hang.
#pragma once
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "bench/bench.h"
#include "core/unique_fd.h"

namespace tunectl::bench::loopback {

// A thread that is always joined; an exception thrown inside it is rethrown by join(). Its final
// schedstat goes to the contention ledger as it ends, so the runner sees its run-queue wait.
class Worker {
 public:
  explicit Worker(std::function<void()> fn);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();
  void join();

 private:
  std::exception_ptr error_;
  std::thread thread_;
};

// --client-cpu / --server-cpu, --keepalive, --keepidle/--keepintvl/--keepcnt.
std::vector<OptionSpec> cpu_option_specs();
std::vector<OptionSpec> keepalive_option_specs();

// `auto` placement: the busy share of every CPU is sampled over this window, once per setup.
constexpr int kPlacementWindowMs = 200;
// CPUs within this many points of the least busy one count as equally idle (the lowest number
// wins), so tick noise on an idle host (one USER_HZ tick is 5 points of a 200 ms window) does not
// swap the threads from one setup to the next.
constexpr double kPlacementTiePct = 10.0;

// Where the client and server threads run: nullopt = not pinned.
struct Placement {
  std::optional<int> client, server;
  json seen = json::object();  // for the result's notes: the choice, the rule, the load sampled
};
// --client-cpu / --server-cpu resolved: a number must be an allowed CPU; "none" is not pinned;
// "auto" takes the least busy allowed CPU (contention::least_busy, kPlacementTiePct) over
// kPlacementWindowMs, distinct from the other thread's CPU when two or more are allowed, client
// first. The load is sampled only when an option says auto. Throws InputError on a bad value.
Placement place_threads(const Options& opts);
void pin_this_thread(std::optional<int> cpu);

struct Keepalive {
  bool on = false;
  int idle = 0, intvl = 0, cnt = 0;  // 0: leave the kernel default
};
Keepalive keepalive_option(const Options& opts);

// Sockets on 127.0.0.1. Every socket gets send/receive timeouts so a broken peer ends the run
// with an error instead of hanging it.
struct Listener {
  UniqueFd fd;
  uint16_t port = 0;
};
Listener listen_loopback(int backlog);
UniqueFd accept_conn(const Listener& l);
UniqueFd connect_loopback(uint16_t port);
void set_nodelay(const UniqueFd& fd, bool on);
void set_keepalive(const UniqueFd& fd, const Keepalive& k);
void set_linger_abort(const UniqueFd& fd);  // SO_LINGER {1, 0}: close() sends RST, no TIME_WAIT

void send_all(const UniqueFd& fd, const char* data, size_t len);
// False on a clean EOF before the first byte; throws on errors and EOF mid-message.
bool recv_all(const UniqueFd& fd, char* data, size_t len);

}  // namespace tunectl::bench::loopback
