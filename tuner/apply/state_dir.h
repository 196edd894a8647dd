// Where a root's transactions are journaled, and who may change a root.
#pragma once
#include <optional>
#include <string>

#include "core/host.h"
#include "core/unique_fd.h"

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

// The state dir holds the lock, the journals and the exact previous bytes rollback writes back as
// root: a directory anyone else can change could turn them against root. So the state dir and
// every directory inside it that tunectl uses must be a real directory (never a symlink), owned by
// the caller or root, and writable by no one else; otherwise NotPermitted (exit 3) naming the path.
// Files in it are opened relative to the checked directory's descriptor with O_NOFOLLOW.
//
// Opens the state dir `path` (its last component never followed). Missing: created 0700 (parents
// as needed) when `create`, else an invalid descriptor. Not a directory: TransactionError.
UniqueFd open_state_dir(const std::string& path, bool create);
// `name` inside the checked directory `dir_fd` (called `dir_path` in messages), same rule and
// same answer for a missing one; created 0700 when `create`.
UniqueFd open_state_subdir(int dir_fd, const std::string& dir_path, const std::string& name, bool create);

}  // namespace tunectl
