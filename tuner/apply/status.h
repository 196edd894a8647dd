// `tunectl status`: what tunectl has in effect on a root, read from its journals alone (no profile
// file needed) and checked against the host.
//
//   stack    the transactions in effect (applied, not rolled back), oldest first: each with the
//            knobs it wrote and, per knob, whether the host still holds the value written (ok,
//            drift with the current value, missing) or a later transaction wrote it (superseded).
//            A second profile applied on top of a first is a second entry, never merged.
//   open     transactions an apply or audit left open (crashed, killed, incomplete rollback), with
//            the exact command that recovers them.
//   corrupt  journals that cannot be read (they may hide an open transaction).
//   persisted  whether a profile is persisted for `tunectl boot` and still matches its file.
//   reboot   whether settings that take effect at boot (boot: kernel parameters) wait for a
//            reboot: written to the boot configuration, absent from /proc/cmdline. Such a check
//            is "pending-reboot"; it does not count as drift.
// Read-only: takes no lock, writes nothing, creates no state dir.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace tunectl {

// One knob a transaction in effect wrote, and what the host holds now.
struct StatusCheck {
  std::string knob, written;           // address and the value the transaction wrote
  std::optional<std::string> current;  // raw bytes read now (null when unreadable)
  std::string status;                  // ok | drift | missing | superseded | pending-reboot
  std::string detail;                  // read error, or which transaction wrote it later
};

struct StatusEntry {
  std::string id, profile, profile_digest, applied_at;
  uint64_t seq = 0;
  size_t knobs = 0;           // knobs written
  bool earlier_boot = false;  // applied before the host's last boot: a reboot reset its runtime settings
  std::vector<StatusCheck> checks;
};

struct StatusOpen {
  std::string id, profile, started_at;
  size_t attempted = 0;  // knobs whose write may have happened
  std::string error;     // why it stayed open, when the record says
  std::string recover;   // the command that restores it
};

struct StatusCorrupt {
  std::string id, journal, error;
};

struct HostStatus {
  std::string root, state_dir;
  std::vector<StatusEntry> stack;  // oldest first
  std::vector<StatusOpen> open;
  std::vector<StatusCorrupt> corrupt;
  std::map<std::string, int> summary;  // check status -> count
  bool matches = true;                 // every knob in effect holds its written value
  bool reboot_pending = false;
  std::string reboot_note;
  // Whether a profile is persisted for boot (tuner/apply/persist.h persisted_status): persisted,
  // enabled, profile, digest, source and whether that file still resolves to the persisted body
  // (source_matches). Informational: it does not change the exit code.
  json persisted;
};

HostStatus host_status(const std::string& root, const std::optional<std::string>& state_dir);

// 0 when everything in effect matches and nothing is open or corrupt; 6 when a transaction is
// open or a journal corrupt (apply would refuse: recover first); else 1 on drift or missing.
int status_exit_code(const HostStatus& s);

void to_json(json& j, const HostStatus& s);  // schema "tunectl.status/1"

// For verbs that read the host while tunectl may be part-way through changing it (plan, verify):
// one warning per open transaction or corrupt journal of `root`, with the command that recovers
// it. Never throws: a state dir that cannot be read gives no warning.
std::vector<std::string> open_transaction_warnings(const std::string& root, const std::optional<std::string>& state_dir);

}  // namespace tunectl
