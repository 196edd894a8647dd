#include "bench/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <set>

#include "core/errors.h"
#include "bench/affinity.h"
#include "bench/contention.h"

namespace tunectl::bench::loopback {
namespace {

constexpr int kIoTimeoutSeconds = 5;  // no healthy loopback call blocks anywhere near this

[[noreturn]] void fail(const std::string& what) { throw Error(what + ": " + std::strerror(errno)); }

void set_int(int fd, int level, int opt, int value, const char* name) {
  if (::setsockopt(fd, level, opt, &value, sizeof value) != 0) fail(std::string("setsockopt ") + name);
}

void set_timeouts(int fd) {
  timeval tv{kIoTimeoutSeconds, 0};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
    fail("setsockopt SO_RCVTIMEO/SO_SNDTIMEO");
}

sockaddr_in loopback_addr(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

Worker::Worker(std::function<void()> fn)
    : thread_([this, fn = std::move(fn)] {
        const contention::ThreadExitRecord record;  // last thing the thread does
        try {
          fn();
        } catch (...) {
          error_ = std::current_exception();
        }
      }) {}

Worker::~Worker() {
  if (thread_.joinable()) thread_.join();
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

std::vector<OptionSpec> cpu_option_specs() {
  const std::string how = ": auto (the least busy allowed CPU over a " + std::to_string(kPlacementWindowMs) +
                          " ms sample at setup, not the ";
  const std::string rest = "'s when 2+ CPUs are allowed; CPUs within " +
                           std::to_string(static_cast<int>(kPlacementTiePct)) +
                           " points of the least busy tie and the lowest number wins), none (not pinned: the "
                           "scheduler places it, as sockperf does), or a CPU number";
  return {{"client-cpu", "auto", "CPU for the client thread" + how + "server" + rest},
          {"server-cpu", "auto", "CPU for the server thread" + how + "client" + rest}};
}

std::vector<OptionSpec> keepalive_option_specs() {
  return {{"keepalive", "0", "set SO_KEEPALIVE on both sockets", true},
          {"keepidle", "0", "TCP_KEEPIDLE seconds (0: kernel default)"},
          {"keepintvl", "0", "TCP_KEEPINTVL seconds (0: kernel default)"},
          {"keepcnt", "0", "TCP_KEEPCNT probes (0: kernel default)"}};
}

Placement place_threads(const Options& opts) {
  const auto cpus = allowed_cpus();
  if (cpus.empty()) fail("sched_getaffinity");
  const std::string names[2] = {"client-cpu", "server-cpu"};
  std::optional<int> chosen[2];
  std::set<int> taken;
  std::vector<size_t> autos;
  for (size_t i = 0; i < 2; ++i) {
    const std::string v = opts.str(names[i]);
    if (v == "none") continue;
    if (v == "auto") {
      autos.push_back(i);
      continue;
    }
    const int cpu = static_cast<int>(opts.integer_in(names[i], 0, CPU_SETSIZE - 1));
    if (std::find(cpus.begin(), cpus.end(), cpu) == cpus.end())
      throw InputError("option --" + names[i] + ": CPU " + v + " is not in this process's allowed CPUs");
    chosen[i] = cpu;
    taken.insert(cpu);
  }
  Placement p;
  if (!autos.empty()) {
    // The live host's load: threads are pinned only by benchmarks that run on the live host.
    const auto busy = contention::cpu_busy_pct(Host("/"), kPlacementWindowMs);
    const auto picks = contention::least_busy(cpus, busy, taken, autos.size(), kPlacementTiePct);
    for (size_t k = 0; k < autos.size(); ++k) chosen[autos[k]] = picks.at(k);
    json seen = json::object();
    for (int c : cpus)
      if (busy.count(c)) seen[std::to_string(c)] = std::round(busy.at(c) * 10) / 10;
    p.seen["auto_rule"] = "least busy allowed CPU over " + std::to_string(kPlacementWindowMs) +
                          " ms, client first, distinct when possible; within " +
                          std::to_string(static_cast<int>(kPlacementTiePct)) + " points counts as a tie (lowest wins)";
    p.seen["cpu_busy_pct_at_setup"] = seen;
  }
  p.client = chosen[0];
  p.server = chosen[1];
  p.seen["client_cpu"] = p.client ? json(*p.client) : json(nullptr);
  p.seen["server_cpu"] = p.server ? json(*p.server) : json(nullptr);
  return p;
}

void pin_this_thread(std::optional<int> cpu) {
  if (!cpu) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(*cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) fail("pin to CPU " + std::to_string(*cpu));
}

Keepalive keepalive_option(const Options& opts) {
  Keepalive k;
  k.on = opts.flag("keepalive");
  k.idle = static_cast<int>(opts.integer_in("keepidle", 0, 32767));
  k.intvl = static_cast<int>(opts.integer_in("keepintvl", 0, 32767));
  k.cnt = static_cast<int>(opts.integer_in("keepcnt", 0, 127));
  return k;
}

Listener listen_loopback(int backlog) {
  Listener l{UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)), 0};
  if (l.fd.get() < 0) fail("socket");
  set_timeouts(l.fd.get());  // accept() honours SO_RCVTIMEO
  sockaddr_in a = loopback_addr(0);
  if (::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("bind 127.0.0.1");
  if (::listen(l.fd.get(), backlog) != 0) fail("listen");
  socklen_t len = sizeof a;
  if (::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) fail("getsockname");
  l.port = ntohs(a.sin_port);
  return l;
}

UniqueFd accept_conn(const Listener& l) {
  UniqueFd fd(::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (fd.get() < 0) fail("accept");
  set_timeouts(fd.get());
  return fd;
}

UniqueFd connect_loopback(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) fail("socket");
  set_timeouts(fd.get());
  sockaddr_in a = loopback_addr(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("connect 127.0.0.1");
  return fd;
}

void set_nodelay(const UniqueFd& fd, bool on) {
  set_int(fd.get(), IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0, "TCP_NODELAY");
}

void set_keepalive(const UniqueFd& fd, const Keepalive& k) {
  if (!k.on) return;
  set_int(fd.get(), SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
  if (k.idle) set_int(fd.get(), IPPROTO_TCP, TCP_KEEPIDLE, k.idle, "TCP_KEEPIDLE");
  if (k.intvl) set_int(fd.get(), IPPROTO_TCP, TCP_KEEPINTVL, k.intvl, "TCP_KEEPINTVL");
  if (k.cnt) set_int(fd.get(), IPPROTO_TCP, TCP_KEEPCNT, k.cnt, "TCP_KEEPCNT");
}

void set_linger_abort(const UniqueFd& fd) {
  linger lg{1, 0};
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0) fail("setsockopt SO_LINGER");
}

void send_all(const UniqueFd& fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::send(fd.get(), data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
}

bool recv_all(const UniqueFd& fd, char* data, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::recv(fd.get(), data + got, len - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("recv");
    }
    if (n == 0) {
      if (got == 0) return false;
      throw Error("recv: peer closed mid-message");
    }
    got += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace tunectl::bench::loopback
