// On-disk transaction records: <state>/transactions/<id>.journal, one file per apply, JSON lines.
//
// Line 1, the header, holds every knob's exact previous bytes (base64), the plan, the profile
// name + digest and the host root. It is written whole before the first knob write — tmp file,
// fsync, rename, fsync of the directory — so it is never torn and never missing once a write
// may have happened. Every later line is an appended event ("writing", "written", "failed",
// "restored", "state", ...). The engine makes a "writing" mark durable *before* the matching
// knob write, so the marks are a superset of the knobs that may have been written. A torn last
// line (power loss mid-append) is ignored on reading: its write had not started.
//
// Space: the header's write reserves room, beyond the end of the file (fallocate KEEP_SIZE: the
// size stays that of the lines written), for every event the apply and a full rollback can append
// (journal_pass_bytes). So a disk that fills up during the apply cannot stop the record, and the
// rollback finishes on a disk with no free space; a reservation that does not fit fails before
// any knob is written. Appends never leave a partial line: a failed one is cut off again.
//
// Order: records carry "seq", a number taken from <state>/seq under the state lock, so the last
// transaction is the last applied even when the wall clock stepped back. Records without it (made
// before it was kept) come first, by started_at.
#pragma once
#include <cstddef>
#include <cstdint>
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
  // The device its file belonged to at apply (IRQ action and chip, interface and ifindex;
  // tuner/apply/knob_identity.h): rollback checks it. Null in records made before it was kept.
  json identity;
};

struct JournalHeader {
  std::string id;
  std::string profile, profile_digest;
  std::string root;        // canonical host root the knobs belong to
  std::string started_at;  // RFC 3339 UTC, microseconds
  int pid = 0;
  uint64_t seq = 0;      // order in the state dir (see above); 0: an older record without one
  json fault_injection;  // the test switch when it was armed (fault_injection.h), else null
  json identity;  // boot id and network namespace at apply (knob_identity.h); null in older records
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

// A record that cannot be read or fails the format: its id (the file name), path and why.
// `seq` when its first line still gives one, so verbs can tell whether it is newer than theirs.
struct CorruptJournal {
  std::string id, path, reason;
  std::optional<uint64_t> seq;
};

// Appends events to one record; owns the file descriptor.
class JournalWriter {
 public:
  // Writes the header atomically (see above), reserves `reserve` bytes after it and opens the
  // record for appending. Throws ApplyError when the disk (or quota) has no room for the header
  // and the reservation — nothing written, no record left — else TransactionError (NotPermitted
  // for EACCES/EROFS) naming the file.
  static JournalWriter create(const std::string& state_dir, const JournalHeader& header, size_t reserve = 0);
  // Opens a record for appending (cutting off a torn last line) and reserves `reserve` bytes
  // beyond its end where the disk allows (a rollback goes on without, into what apply reserved).
  static JournalWriter reopen(const std::string& path, size_t reserve = 0);

  // Appends `event` plus "at" as one line in one write(2). `durable`: fdatasync before return —
  // required for a mark that must be on disk before the action it announces. A failed append is
  // cut off (no partial line stays) and throws TransactionError naming the file and errno.
  void append(json event, bool durable);
  // Reserves `bytes` beyond the current end (see above). False when the disk or quota has no room
  // (ENOSPC, EDQUOT); true when reserved or the file system cannot reserve at all.
  bool reserve(size_t bytes);
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

// Room for the events of one pass over every knob of `h`: a write pass ("writing" + "written" or
// "failed") or a restore pass ("restored" or "restore-failed"), the state line included, with
// generous room for read-back bytes and messages.
size_t journal_pass_bytes(const JournalHeader& h);

std::string journal_dir(const std::string& state_dir);

struct JournalSet {
  std::vector<JournalRecord> records;  // oldest first (see Order above)
  std::vector<CorruptJournal> corrupt;
};
// Every record in the state dir; empty when the dir does not exist. A record that cannot be read
// or fails the format (a symlink, a FIFO, a cut or edited header, an event of the wrong type) is
// listed in `corrupt`, not thrown: each verb decides whether it needs it. Throws NotPermitted for
// a state dir or transactions dir that fails the safety rule (state_dir.h).
JournalSet scan_journals(const std::string& state_dir);
// The records of scan_journals; throws TransactionError with the reason of the first corrupt one
// (for callers that must see every record, e.g. to be sure none is open).
std::vector<JournalRecord> load_journals(const std::string& state_dir);
// The highest "seq" of the state dir's records (corrupt ones whose first line gives one too).
uint64_t last_journal_seq(const JournalSet& set);
// Removes tmp headers (".<id>.journal.tmp") an apply left when it died before its rename: they
// never became records and nothing was written after them. The caller holds the StateLock.
void remove_stale_tmp_headers(const std::string& state_dir);
JournalRecord load_journal(const std::string& path);
JournalRecord parse_journal(const std::string& path, const std::string& text);

std::string new_transaction_id();  // "20260315T101502Z-3f9a": sortable, readable, unique enough
std::string utc_now();             // "2026-03-15T10:15:02.123456Z"

std::string base64_encode(const std::string& bytes);
// Throws TransactionError on characters outside the alphabet.
std::string base64_decode(const std::string& text);

}  // namespace tunectl
