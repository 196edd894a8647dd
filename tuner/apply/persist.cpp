// Persistence: the record under /etc/tunectl and the unit's enable link, written through the Host.
#include "tuner/apply/persist.h"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "core/clock.h"
#include "core/json_text.h"
#include "core/sha256.h"
#include "core/strict_json.h"

namespace tunectl {
namespace {

constexpr const char* kSchema = "tunectl.persisted/1";
constexpr size_t kMaxRecordBytes = 2u << 20;  // a profile is at most 1 MiB; its record a bit more

std::string errtext(const std::string& path, int err) { return path + ": " + std::strerror(err); }

// Makes `dir` and its missing parents inside the host (0755).
void make_dirs(const Host& host, const std::string& dir) {
  std::string at;
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    at = dir.substr(0, i);
    if (host.is_dir(at)) continue;
    if (int err = host.make_dir(at); err != 0 && err != EEXIST) throw Error(errtext(at, err));
  }
}

// The record says what root writes to the kernel at every boot: like a profile read as root
// (core/file_io.h not_trusted_by_root), it and its directory must be changeable by root alone.
void require_trusted(const Host& host, const std::string& path) {
  const std::string real = host.resolve(path);
  struct stat st;
  if (real.empty() || ::stat(real.c_str(), &st) != 0) return;  // the read reports it
  if (auto why = not_trusted_by_root(st))
    throw NotPermitted(path + ": " + *why + "; a persisted profile must be changeable by root alone");
}

std::string absolute(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : path;
}

PersistedRecord record_from_json(const json& j) {
  PersistedRecord r;
  r.profile = j.at("profile").get<std::string>();
  r.source = j.at("source").get<std::string>();
  r.files = j.at("files").get<std::vector<std::string>>();
  r.digest = j.at("digest").get<std::string>();
  r.persisted_at = j.at("persisted_at").get<std::string>();
  r.resolved = j.at("resolved");
  if (!r.resolved.is_object()) throw std::runtime_error("\"resolved\" is not an object");
  return r;
}

// Removes `path` (a file or link); absent is fine. Returns whether it was there.
bool remove_if_present(const Host& host, const std::string& path) {
  const int err = host.remove_entry(path);
  if (err == ENOENT) return false;
  if (err != 0) throw Error(errtext(path, err));
  return true;
}

}  // namespace

json to_json_value(const PersistedRecord& r) {
  return {{"schema", kSchema},  {"profile", r.profile},           {"source", r.source},
          {"files", r.files},   {"digest", r.digest},             {"persisted_at", r.persisted_at},
          {"resolved", r.resolved}};
}

std::string find_boot_unit(const Host& host) {
  std::string looked;
  for (const auto& dir : kBootUnitDirs) {
    const std::string unit = dir + "/" + kBootUnitName;
    if (host.exists(unit)) return unit;
    looked += (looked.empty() ? "" : ", ") + dir;
  }
  throw InputError(std::string(kBootUnitName) + " is not installed (looked in " + looked +
                   (host.is_live() ? "" : " inside " + host.root()) +
                   "); install it from packaging/systemd first — nothing was written");
}

std::optional<PersistedRecord> read_persisted(const Host& host) {
  if (!host.exists(kPersistedRecord) && !host.readlink(kPersistedRecord)) return std::nullopt;
  require_trusted(host, kPersistDir);
  require_trusted(host, kPersistedRecord);
  const ReadResult r = host.read(kPersistedRecord);
  if (!r.ok) throw PersistRecordError("persisted profile " + r.error);
  if (r.data.size() > kMaxRecordBytes) throw PersistRecordError(std::string(kPersistedRecord) + ": larger than 2 MiB");
  PersistedRecord rec;
  try {
    const json j = parse_strict_json(r.data, 64);
    if (!j.is_object() || j.value("schema", "") != kSchema)
      throw std::runtime_error(std::string("not a \"") + kSchema + "\" record");
    rec = record_from_json(j);
  } catch (const std::exception& e) {
    throw PersistRecordError(std::string(kPersistedRecord) + ": corrupt persisted profile (" + e.what() +
                             "); persist it again with `tunectl apply -p PROFILE --persist`");
  }
  if (sha256_hex(rec.resolved.dump()) != rec.digest)
    throw PersistRecordError(std::string(kPersistedRecord) + ": the body's sha256 is not the recorded digest " +
                             rec.digest + " (changed by hand or damaged); nothing is applied from it");
  return rec;
}

Profile persisted_profile(const PersistedRecord& rec) {
  Profile p;
  try {
    // No search dirs: the body is resolved already and must not pull anything in.
    p = load_profile_from_text(rec.resolved.dump(), kPersistedRecord, {});
  } catch (const Error& e) {
    throw PersistRecordError(std::string("persisted profile no longer validates: ") + e.what());
  }
  if (p.digest != rec.digest)
    throw PersistRecordError(std::string(kPersistedRecord) + ": the body validates to sha256 " + p.digest +
                             ", not the recorded " + rec.digest);
  p.name = rec.profile;
  p.files = rec.files;
  return p;
}

void to_json(json& j, const PersistResult& r) {
  j = {{"record", r.record_path}, {"unit", r.unit},         {"link", r.link},
       {"profile", r.record.profile}, {"digest", r.record.digest}, {"source", r.record.source},
       {"persisted_at", r.record.persisted_at}, {"replaced", r.replaced ? json(*r.replaced) : json(nullptr)}};
}

PersistResult persist_profile(const Host& host, const Profile& profile) {
  PersistResult out;
  out.unit = find_boot_unit(host);
  out.record_path = kPersistedRecord;
  out.link = kBootUnitLink;
  PersistedRecord& rec = out.record;
  rec.profile = profile.name;
  rec.source = absolute(profile.path);
  for (const auto& f : profile.files) rec.files.push_back(absolute(f));
  rec.digest = profile.digest;
  rec.persisted_at = utc_now_rfc3339();
  rec.resolved = profile.resolved;

  // The previous record, to put back if enabling fails (and to say what was replaced).
  const ReadResult previous = host.read(kPersistedRecord);
  if (previous.ok) {
    try {
      out.replaced = parse_strict_json(previous.data, 64).value("digest", "");
    } catch (const JsonError&) {
      out.replaced = "corrupt";
    }
  }
  make_dirs(host, kPersistDir);
  if (int err = host.replace_file(kPersistedRecord, dump_json(to_json_value(rec), 2) + "\n"))
    throw Error(errtext(kPersistedRecord, err) + " (nothing was persisted)");
  try {
    make_dirs(host, kBootUnitWantsDir);
    if (int err = host.replace_symlink(out.unit, kBootUnitLink)) throw Error(errtext(kBootUnitLink, err));
  } catch (const Error& e) {
    // Never a record without its link: put the previous record back (or none).
    if (previous.ok)
      host.replace_file(kPersistedRecord, previous.data);
    else
      host.remove_entry(kPersistedRecord);
    throw Error(std::string("enabling ") + kBootUnitName + ": " + e.what() + " (the record was not changed)");
  }
  return out;
}

std::optional<PersistResult> persist_applied(const ApplyRequest& req, const Transaction& tx) {
  if (req.dry_run || (tx.state != TxState::kApplied && tx.state != TxState::kUnchanged)) return std::nullopt;
  Profile profile = req.loaded ? *req.loaded : load_profile(req.profile, profile_search_dirs(req.profile_path));
  if (profile.digest != tx.profile_digest)
    throw InputError(profile.path + ": changed while it was being applied (sha256 " + tx.profile_digest.substr(0, 12) +
                     " applied, " + profile.digest.substr(0, 12) + " now); the apply stands, nothing was persisted — "
                     "run the apply again with --persist");
  return persist_profile(host_for_root(req.root), profile);
}

Transaction apply_and_persist(const ApplyRequest& req, std::optional<PersistResult>& persisted) {
  persisted.reset();
  find_boot_unit(host_for_root(req.root));
  Transaction tx = apply_profile(req);
  persisted = persist_applied(req, tx);
  return tx;
}

void to_json(json& j, const UnpersistResult& r) {
  j = {{"root", r.root},
       {"removed_link", r.removed_link},
       {"removed_record", r.removed_record},
       {"profile", r.record ? json(r.record->profile) : json(nullptr)},
       {"digest", r.record ? json(r.record->digest) : json(nullptr)},
       {"message", r.message}};
}

UnpersistResult unpersist(const std::string& root) {
  UnpersistResult out;
  out.root = canonical_root(root);
  const Host host(out.root);
  require_write_permission(host);
  try {
    out.record = read_persisted(host);
  } catch (const PersistRecordError&) {
    // A damaged record is removed all the same: that is what unpersist is for.
  }
  // The link first: an enabled unit without its record would fail every boot.
  out.removed_link = remove_if_present(host, kBootUnitLink);
  out.removed_record = remove_if_present(host, kPersistedRecord);
  if (!out.removed_link && !out.removed_record)
    out.message = std::string("nothing persisted: no ") + kPersistedRecord + " and no " + kBootUnitLink +
                  "; nothing was changed";
  else
    out.message = "unpersisted" + (out.record ? " profile " + out.record->profile + " (sha256 " +
                                                    out.record->digest.substr(0, 12) + ")" : std::string()) +
                  ": removed " + (out.removed_record ? std::string(kPersistedRecord) : "") +
                  (out.removed_record && out.removed_link ? " and " : "") +
                  (out.removed_link ? std::string(kBootUnitLink) : "") +
                  "; the settings now in effect stay until `tunectl rollback` or a reboot";
  return out;
}

json persisted_status(const std::string& root) {
  json j = {{"persisted", false}, {"record", kPersistedRecord}, {"link", kBootUnitLink}, {"enabled", false}};
  try {
    const Host host(canonical_root(root));
    const auto target = host.readlink(kBootUnitLink);
    j["enabled"] = target.has_value() && host.exists(kBootUnitLink);
    const auto rec = read_persisted(host);
    if (!rec) return j;
    j["persisted"] = true;
    j["profile"] = rec->profile;
    j["digest"] = rec->digest;
    j["source"] = rec->source;
    j["persisted_at"] = rec->persisted_at;
    try {
      const Profile now = load_profile(rec->source);
      j["source_digest"] = now.digest;
      j["source_matches"] = now.digest == rec->digest;
    } catch (const Error& e) {
      j["source_matches"] = nullptr;
      j["source_error"] = e.what();
    }
  } catch (const Error& e) {
    j["error"] = e.what();
  }
  return j;
}

}  // namespace tunectl
