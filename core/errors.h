// The error hierarchy shared by the library, the CLI (exit codes) and the Python module
// (exception classes). Every message is one line naming the file or key it is about.
#pragma once
#include <optional>
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
  kExitLocked = 5,       // another tunectl holds the state lock (wait with --wait[=SECONDS])
  kExitOpenTransaction = 6, // an interrupted transaction must be recovered or rolled back first
  kExitPersistRecord = 7,   // tunectl boot: no valid persisted profile (tuner/apply/persist.h)
  kExitInterrupted = 130, // stopped by SIGINT/SIGTERM (audit, bench) after cleaning up
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, int exit_code = kExitUsage)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

  // Where the error is, when the thrower knows (else nullopt): the file, the JSON pointer inside
  // it, the knob address. `tunectl --json` reports them with the message.
  const std::optional<std::string>& file() const { return file_; }
  const std::optional<std::string>& pointer() const { return pointer_; }
  const std::optional<std::string>& knob() const { return knob_; }
  void set_file(std::string f) { file_ = std::move(f); }
  void set_pointer(std::string p) { pointer_ = std::move(p); }
  void set_knob(std::string k) { knob_ = std::move(k); }

 private:
  int exit_code_;
  std::optional<std::string> file_, pointer_, knob_;
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
  // "file: pointer: reason" ("file: reason" without a pointer), with file() and pointer() set.
  ProfileError(const std::string& file, const std::string& pointer, const std::string& reason)
      : InputError(file + ": " + (pointer.empty() ? "" : pointer + ": ") + reason) {
    set_file(file);
    if (!pointer.empty()) set_pointer(pointer);
  }
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

// Another tunectl process holds the state directory's lock.
class LockHeld : public TransactionError {
 public:
  explicit LockHeld(const std::string& what) : TransactionError(what, kExitLocked) {}
};

// An apply was interrupted (crash, power loss) and its journal is still open.
class OpenTransaction : public TransactionError {
 public:
  explicit OpenTransaction(const std::string& what) : TransactionError(what, kExitOpenTransaction) {}
};

}  // namespace tunectl
