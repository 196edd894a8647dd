// On-disk transaction records: <state>/transactions/<id>.journal, one file per apply, JSON lines.
//
// Line 1, the header, holds every knob's exact previous bytes (base64), the plan, the profile
// name + digest and the host root. It is written whole before the first knob write — tmp file,
// fsync, rename, fsync of the directory — so it is never torn and never missing once a write
// may have happened. Every later line is an appended event ("writing", "written", "failed",
// "restored", "state", ...). The engine makes a "writing" mark durable *before* the matching
// knob write, so the marks are a superset of the knobs that may have been written. A torn last
// line (power loss mid-append) is ignored on reading: its write had not started.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/unique_fd.h"
#include "tuner/plan/plan.h"

namespace tunectl {

// /2: cgroup directories are knobs (cgroup_dir:) instead of a per-knob "mkdir" action. /1 records
// without such an action read the same.
inline constexpr const char* kJournalSchema = "tunectl.journal/2";
inline constexpr const char* kJournalSchemaV1 = "tunectl.journal/1";

struct JournalKnob {
  size_t index = 0;           // position in write order
  std::string knob;           // address
  std::string value;          // exact value to write
  // Exact previous raw bytes (stored base64: byte exact, trailing newline too); nullopt for a
  // file inside a container this transaction creates (rolling back the container removes it).
  std::optional<std::string> before;
};

struct JournalHeader {
  std::string id;
  std::string profile, profile_digest;
  std::string root;        // canonical host root the knobs belong to
  std::string started_at;  // RFC 3339 UTC, microseconds
  int pid = 0;
  Plan plan;
  std::vector<JournalKnob> knobs;
};

struct JournalRecord {
  std::string path;
  JournalHeader header;
  std::vector<json> events;  // after the header, in order; each has "event" and "at"

  // The last "state" event's state ("applied", "rolled-back"), or "open" when there is none:
  // an apply that never finished — crashed, killed, or its own rollback was incomplete.
  std::string state() const;
  // "at" of the last "state" event with this state, or "".
  std::string state_at(const std::string& state) const;
  // Knob indexes with a "writing" mark in the current apply: the knobs that may have been written.
  std::vector<size_t> attempted() const;
};

// Appends events to one record; owns the file descriptor.
class JournalWriter {
 public:
  // Writes the header atomically (see above) and opens the record for appending. Throws
  // TransactionError (NotPermitted for EACCES/EROFS) naming the file.
  static JournalWriter create(const std::string& state_dir, const JournalHeader& header);
  static JournalWriter reopen(const std::string& path);

  // Appends `event` plus "at" as one line in one write(2). `durable`: fdatasync before return —
  // required for a mark that must be on disk before the action it announces.
  void append(json event, bool durable);
  const std::string& path() const { return path_; }

  JournalWriter(JournalWriter&&) noexcept = default;
  JournalWriter& operator=(JournalWriter&&) = delete;

 private:
  JournalWriter(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  // `name` in the checked directory `dir_fd`, opened O_NOFOLLOW for appending; `path` for messages.
  static JournalWriter open_for_append(int dir_fd, const std::string& name, const std::string& path);
  UniqueFd fd_;
  std::string path_;
};

std::string journal_dir(const std::string& state_dir);
// Every record in the state dir, oldest first; empty when the dir does not exist. Throws
// TransactionError naming the file and line of a corrupt record, NotPermitted for a state dir or
// transactions dir that fails the safety rule (state_dir.h). Records are opened O_NOFOLLOW: a
// symlink posing as one is refused.
std::vector<JournalRecord> load_journals(const std::string& state_dir);
JournalRecord load_journal(const std::string& path);
JournalRecord parse_journal(const std::string& path, const std::string& text);

std::string new_transaction_id();  // "20260315T101502Z-3f9a": sortable, readable, unique enough
std::string utc_now();             // "2026-03-15T10:15:02.123456Z"

std::string base64_encode(const std::string& bytes);
// Throws TransactionError on characters outside the alphabet.
std::string base64_decode(const std::string& text);

}  // namespace tunectl
