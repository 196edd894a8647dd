// Helpers for knobs over one or more files per CPU (cpufreq, cpuidle, epb): the CPU list in an
// address, the existence/online check, and the composite raw value that journals many kernel
// files as one. Internal to the knob layer.
//
// Composite raw format: one line per file, in a deterministic order (CPUs ascending, then the
// kind's own file order), each "<path>\t<bytes>\n" where <path> is relative to
// /sys/devices/system/cpu/ ("cpu3/cpuidle/state2/disable") and <bytes> the file's exact bytes as
// a JSON string literal ("\"0\\n\""); bytes outside printable ASCII are written \u00XX, one escape
// per byte.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/host.h"
#include "core/parse.h"
#include "tuner/knobs/knob.h"

namespace tunectl::per_cpu {

extern const char* const kCpuDir;  // "/sys/devices/system/cpu/"

// The <cpulist> of an address: non-empty and canonical ("0-3,8", not "3,0-2"); throws
// InputError("bad knob address '<address>': ...") otherwise.
CpuSet parse_address_cpus(const std::string& address, const std::string& text);

// Why some of `cpus` cannot be used: beyond the possible CPUs, or offline. nullopt when fine.
std::optional<std::string> check_online(const Host& host, const CpuSet& cpus);

// One file of a composite.
struct FileBytes {
  std::string rel;    // relative to kCpuDir
  std::string bytes;  // exact contents
};
std::string encode(const std::vector<FileBytes>& files);
// The files of a composite; fails on anything encode() cannot have produced.
Parsed<std::vector<FileBytes>> decode(const std::string& raw);

// Reads every file into one composite; the first failing read is returned as is (its errno).
ReadResult read_composite(const Host& host, const std::vector<std::string>& rels);

// What a composite line is to the knob restoring it.
enum class Line {
  kForeign,  // not one of the knob's files: the whole restore is refused
  kContext,  // read for comparison only (cpuidle latencies): never written
  kWrite,    // put back
};
// Puts back the bytes of every kWrite line that differ from the file's current bytes. Any
// kForeign line refuses the restore (EINVAL) before anything is written: journals are input too.
WriteOutcome restore_composite(const Host& host, const std::string& address, const std::string& raw,
                               const std::function<Line(const std::string& rel)>& classify);

// The CPU of "cpuN/..." paths.
std::optional<int> cpu_of(const std::string& rel);

// One comparable value for per-CPU values: the value itself when every CPU agrees, otherwise
// "mixed: cpu0-3,8=powersave cpu4-7=performance" (groups in order of their first CPU), which no
// desired value can equal.
std::string agree(const std::vector<std::pair<int, std::string>>& values);

// normalise_raw of a one-file-per-CPU knob: each file's bytes through `normalise`, then agree().
std::string agree_normalised(const std::string& raw, const std::function<std::string(const std::string&)>& normalise);

}  // namespace tunectl::per_cpu
