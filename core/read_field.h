// Per-field reads for probes: one kernel file -> one typed value, or null plus a line in the
// probe's error list. A file the kernel legitimately omits (optional, ENOENT) is silently null.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/host.h"
#include "core/host_dir.h"
#include "core/json.h"
#include "core/parse.h"

namespace tunectl {

enum class Presence { kRequired, kOptional };

// Contents with trailing whitespace trimmed.
std::optional<std::string> read_field(const Host& host, const std::string& path, ProbeErrors& errors,
                                      Presence presence = Presence::kRequired);
std::optional<int64_t> read_int_field(const Host& host, const std::string& path, ProbeErrors& errors,
                                      Presence presence = Presence::kRequired);
std::optional<CpuSet> read_cpulist_field(const Host& host, const std::string& path, ProbeErrors& errors,
                                         Presence presence = Presence::kRequired);
// A hex CPU mask ("00000000,0000ffff": smp_affinity, rps_cpus, ...).
std::optional<CpuSet> read_hex_mask_field(const Host& host, const std::string& path, ProbeErrors& errors,
                                          Presence presence = Presence::kRequired);
// The same, for the entry `name` of a directory opened once (messages name the full path).
std::optional<std::string> read_field(const HostDir& dir, const std::string& name, ProbeErrors& errors,
                                      Presence presence = Presence::kRequired);
std::optional<int64_t> read_int_field(const HostDir& dir, const std::string& name, ProbeErrors& errors,
                                      Presence presence = Presence::kRequired);
std::optional<CpuSet> read_cpulist_field(const HostDir& dir, const std::string& name, ProbeErrors& errors,
                                         Presence presence = Presence::kRequired);
std::optional<CpuSet> read_hex_mask_field(const HostDir& dir, const std::string& name, ProbeErrors& errors,
                                          Presence presence = Presence::kRequired);
// The bracketed choice of "always [madvise] never".
std::optional<std::string> read_choice_field(const Host& host, const std::string& path,
                                             ProbeErrors& errors, Presence presence = Presence::kRequired);

}  // namespace tunectl
