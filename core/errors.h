// The error hierarchy shared by the library, the CLI (exit codes) and the Python module
// (exception classes). Every message is one line naming the file or key it is about.
#pragma once
#include <stdexcept>
#include <string>

namespace tunectl {

// CLI exit codes, documented in `tunectl --help` and the README.
enum ExitCode : int {
  kExitOk = 0,
  kExitDrift = 1,        // verification failed / drift / regression
  kExitUsage = 2,        // usage or input error (bad profile, bad option, missing file)
  kExitNotPermitted = 3, // needs root, read-only /proc/sys, ...
  kExitApplyFailed = 4,  // apply failed and was rolled back
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, int exit_code = kExitUsage)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Bad input from the user: options, profiles, result files.
class InputError : public Error {
 public:
  explicit InputError(const std::string& what) : Error(what, kExitUsage) {}
};

// A profile that fails to load or validate: "file: /json/path: reason".
class ProfileError : public InputError {
 public:
  using InputError::InputError;
};

// The operation needs privileges this process does not have, or the kernel refuses writes.
class NotPermitted : public Error {
 public:
  explicit NotPermitted(const std::string& what) : Error(what, kExitNotPermitted) {}
};

// An apply that failed part-way; everything written has been rolled back.
class ApplyError : public Error {
 public:
  explicit ApplyError(const std::string& what) : Error(what, kExitApplyFailed) {}
};

// A journal/transaction-state problem (open transaction, lock held, corrupt journal).
class TransactionError : public Error {
 public:
  explicit TransactionError(const std::string& what, int exit_code = kExitUsage)
      : Error(what, exit_code) {}
};

}  // namespace tunectl
