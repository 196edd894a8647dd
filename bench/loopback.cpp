#include "bench/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/errors.h"

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

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) fail("sched_getaffinity");
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

}  // namespace

Worker::Worker(std::function<void()> fn)
    : thread_([this, fn = std::move(fn)] {
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
  return {{"client-cpu", "auto", "CPU for the client thread: auto (first allowed CPU), none, or a number"},
          {"server-cpu", "auto", "CPU for the server thread: auto (second allowed CPU), none, or a number"}};
}

std::vector<OptionSpec> keepalive_option_specs() {
  return {{"keepalive", "0", "set SO_KEEPALIVE on both sockets", true},
          {"keepidle", "0", "TCP_KEEPIDLE seconds (0: kernel default)"},
          {"keepintvl", "0", "TCP_KEEPINTVL seconds (0: kernel default)"},
          {"keepcnt", "0", "TCP_KEEPCNT probes (0: kernel default)"}};
}

std::optional<int> cpu_option(const Options& opts, const std::string& name, size_t auto_index) {
  const std::string v = opts.str(name);
  if (v == "none") return std::nullopt;
  const auto cpus = allowed_cpus();
  if (v == "auto") return cpus.at(auto_index % cpus.size());
  const int cpu = static_cast<int>(opts.integer_in(name, 0, CPU_SETSIZE - 1));
  for (int c : cpus)
    if (c == cpu) return cpu;
  throw InputError("option --" + name + ": CPU " + v + " is not in this process's allowed CPUs");
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
