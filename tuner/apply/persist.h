// Persistence: a profile recorded on the host so that `tunectl boot` (tuner/apply/boot.h) applies it
// again at every boot, through the shipped systemd unit tunectl-boot.service (docs/persistence.md).
//
//   record  /etc/tunectl/persisted.json, schema "tunectl.persisted/1": the profile's name, the file
//           it was loaded from, every file merged, the resolved body (extends applied; conditions
//           are evaluated again at each boot against the host as it is then) and its sha256.
//   enable  /etc/systemd/system/multi-user.target.wants/tunectl-boot.service, a symlink to the
//           installed unit, made here exactly as `systemctl enable` would, so that it works without
//           a running systemd and inside a captured tree.
// Every read and write goes through the Host: with --root DIR both stay inside DIR. Writes are
// atomic (Host::replace_file, replace_symlink); the record is written before the link, and
// unpersist removes the link first, so a half-done change never leaves an enabled unit without
// its record.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/host.h"
#include "core/json.h"
#include "tuner/apply/transaction.h"
#include "tuner/profile/profile.h"

namespace tunectl {

inline constexpr const char* kPersistDir = "/etc/tunectl";
inline constexpr const char* kPersistedRecord = "/etc/tunectl/persisted.json";
inline constexpr const char* kBootUnitName = "tunectl-boot.service";
inline constexpr const char* kBootUnitWantsDir = "/etc/systemd/system/multi-user.target.wants";
inline constexpr const char* kBootUnitLink = "/etc/systemd/system/multi-user.target.wants/tunectl-boot.service";
// Where the unit may be installed, in systemd's own search order: the first one present is the
// link's target (an admin's copy in /etc, a source install's /usr/local, the package's /lib).
inline const std::vector<std::string> kBootUnitDirs = {"/etc/systemd/system", "/usr/local/lib/systemd/system",
                                                      "/usr/lib/systemd/system", "/lib/systemd/system"};

// `tunectl boot` found no usable record: none, unreadable, not the schema, or a body whose digest
// is not the recorded one. Exit 7 (core/errors.h), distinct from every other failure, so the unit's
// status says it.
class PersistRecordError : public TransactionError {
 public:
  explicit PersistRecordError(const std::string& what) : TransactionError(what, kExitPersistRecord) {
    set_file(kPersistedRecord);
  }
};

struct PersistedRecord {
  std::string profile;             // name, as plan/apply/history show it
  std::string source;              // the file it was loaded from (outside any --root: profiles are not host files)
  std::vector<std::string> files;  // every file merged, bases first
  std::string digest;              // sha256 of resolved.dump(), as Profile::digest
  std::string persisted_at;
  json resolved;
};
json to_json_value(const PersistedRecord& r);  // the record file's content

// The installed unit's path (inside the host), or InputError naming every place looked in.
std::string find_boot_unit(const Host& host);

// The record, or nullopt when there is none. A record that cannot be read or is not a valid one
// (bad JSON, wrong schema, digest mismatch) throws PersistRecordError naming the file.
std::optional<PersistedRecord> read_persisted(const Host& host);
// The profile to plan with, rebuilt from the record's body: it must validate again and give the
// recorded digest (PersistRecordError otherwise). Errors name the record file.
Profile persisted_profile(const PersistedRecord& rec);

struct PersistResult {
  PersistedRecord record;
  std::string record_path, unit, link;  // host paths
  std::optional<std::string> replaced;  // digest of the record this one replaced, if any
};
void to_json(json& j, const PersistResult& r);

// Records `profile` and enables the unit. The unit must be installed (find_boot_unit) or nothing is
// written. Throws Error "<file>: <reason>" when a write fails (the record is never half-written).
PersistResult persist_profile(const Host& host, const Profile& profile);

// After `tx`, the apply of `req`: persists `req`'s profile when the apply succeeded (applied, or
// nothing to change) and it is still the very profile applied (same digest: InputError otherwise,
// the apply standing); nullopt, nothing written, for a dry run or a failed apply.
std::optional<PersistResult> persist_applied(const ApplyRequest& req, const Transaction& tx);

// `apply -p P --persist`: find_boot_unit before anything is written (no apply that could not then
// be persisted), apply_profile, persist_applied. `persisted` is set when the record was written.
Transaction apply_and_persist(const ApplyRequest& req, std::optional<PersistResult>& persisted);

struct UnpersistResult {
  std::string root;
  bool removed_link = false, removed_record = false;
  std::optional<PersistedRecord> record;  // what was removed (when it could be read)
  std::string message;                    // one line, also when there was nothing to remove
};
void to_json(json& j, const UnpersistResult& r);
// Disables the unit (removes the enable link) and removes the record. Nothing persisted is not an
// error: the message says so.
UnpersistResult unpersist(const std::string& root);

// For `tunectl status`: whether a profile is persisted on `root`, its digest, whether the unit is
// enabled, and whether the persisted body still matches the profile file it came from. Never
// throws: a problem is reported in "error" / "source_error".
json persisted_status(const std::string& root);

}  // namespace tunectl
