// Runs a system program (the boot loader's configuration generator) without a shell: an absolute
// path and its arguments, a fixed PATH, stdin from /dev/null, stdout and stderr captured together.
#pragma once
#include <string>
#include <vector>

namespace tunectl {

struct CommandResult {
  int exit_code = -1;  // the program's exit status; 128+N when killed by signal N; -1 not started
  std::string output;  // stdout and stderr interleaved, the last 64 KiB
  std::string error;   // why it could not be started, or ""
  bool ok() const { return exit_code == 0; }
  // The last non-empty output line, for one-line messages.
  std::string last_line() const;
};

// argv[0] must be an absolute path. Waits for the program to end.
CommandResult run_command(const std::vector<std::string>& argv);

// The first of `names` that is an executable file in /usr/sbin, /usr/bin, /sbin or /bin, or "".
std::string find_system_program(const std::vector<std::string>& names);

}  // namespace tunectl
