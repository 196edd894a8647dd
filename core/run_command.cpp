#include "core/run_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/unique_fd.h"

namespace tunectl {
namespace {
constexpr size_t kKeepOutput = 64 * 1024;
}

std::string CommandResult::last_line() const {
  size_t end = output.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  const size_t start = output.rfind('\n', end);
  return output.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

std::string find_system_program(const std::vector<std::string>& names) {
  for (const auto& name : names)
    for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"}) {
      const std::string path = dir + name;
      if (::access(path.c_str(), X_OK) == 0) return path;
    }
  return "";
}

CommandResult run_command(const std::vector<std::string>& argv) {
  CommandResult r;
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    r.error = "not an absolute program path";
    return r;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char lang_env[] = "LC_ALL=C";
  char* envp[] = {path_env, lang_env, nullptr};
  const pid_t pid = ::fork();
  if (pid < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {  // child: only async-signal-safe calls until exec
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(write_end.get(), 1);
    ::dup2(write_end.get(), 2);
    ::signal(SIGPIPE, SIG_DFL);
    ::execve(args[0], args.data(), envp);
    ::_exit(127);
  }
  write_end.reset();
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n > 0) {
      r.output.append(buf, static_cast<size_t>(n));
      if (r.output.size() > 2 * kKeepOutput) r.output.erase(0, r.output.size() - kKeepOutput);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  if (r.output.size() > kKeepOutput) r.output.erase(0, r.output.size() - kKeepOutput);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
  if (r.exit_code == 127 && r.output.empty()) r.error = "cannot execute " + argv[0];
  return r;
}

}  // namespace tunectl
