// `tunectl boot`: re-apply the persisted profile (tuner/apply/persist.h) at boot, from the shipped
// unit tunectl-boot.service. Idempotent: when the host already holds every setting nothing is
// written, not even a journal or the state dir; otherwise one transaction, non-interactive, through
// apply_profile. A transaction left open by a crash before the reboot is recovered first: its
// record is from an earlier boot, so it is closed without writing (the reboot reset the host).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "tuner/apply/persist.h"
#include "tuner/apply/transaction.h"

namespace tunectl {

struct BootRequest {
  std::string root = "/";
  std::optional<std::string> state_dir;
};

struct BootResult {
  std::string root;
  PersistedRecord record;
  bool matched = false;    // nothing to write: no transaction was made
  Transaction tx;          // the transaction made (or the dry-run view when matched)
  std::string message;     // one line: what happened
};
void to_json(json& j, const BootResult& r);

// Throws PersistRecordError (exit 7) without a valid record; the Error of apply_profile otherwise
// (lock held, not permitted, corrupt journal). A failed apply is returned, state rolled-back.
BootResult boot(const BootRequest& req);

}  // namespace tunectl
