// Where a root's transactions are journaled, and who may change a root.
#pragma once
#include <optional>
#include <string>

#include "core/host.h"

namespace tunectl {

// /var/lib/tunectl for the live host. A captured tree gets /var/lib/tunectl/roots/<name>-<hash of
// its canonical path>: a tree's transactions never mix with the live host's, and `rollback
// --root DIR` finds them again without --state-dir.
std::string default_state_dir(const std::string& canonical_root);
// `state_dir` when given, else the default for `root`.
std::string state_dir_for(const std::string& root, const std::optional<std::string>& state_dir);
// The live host needs root for apply and rollback (checked before anything is touched); a
// captured tree needs only write access to its files and the state dir.
void require_write_permission(const Host& host);

}  // namespace tunectl
