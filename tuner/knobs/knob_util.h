// Helpers shared by the knob kinds (tuner/knobs/knob_*.cpp). Internal to the knob layer.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/errno_name.h"
#include "core/host.h"
#include "core/parse.h"
#include "tuner/knobs/knob.h"

namespace tunectl::knob_util {

// How a failed write is explained: kind-specific meanings of EPERM/EIO/EACCES/EROFS.
enum class WriteContext { kGeneric, kProcSys, kIrqAffinity };

// A one-line message naming the knob and the kernel's answer, e.g.
//   "irq:36:affinity: managed IRQ: kernel refuses affinity changes (EPERM)"
//   "sysctl:net.ipv4.tcp_fin_timeout: read-only /proc/sys (container?) (EROFS)"
//   "sysctl:vm.swappiness: kernel rejected value '300' (EINVAL)"
WriteOutcome write_error(const Host& host, const std::string& address, const std::string& path,
                         int err, const std::string& value, WriteContext ctx);

// One Host::write with the errno mapped; value is written as given.
WriteOutcome write_file(const Host& host, const std::string& address, const std::string& path,
                        const std::string& bytes, WriteContext ctx = WriteContext::kGeneric);

// Generic not_settable for a kernel file: missing, unreadable, or without write bits.
std::optional<std::string> file_not_settable(const Host& host, const std::string& path,
                                             WriteContext ctx = WriteContext::kGeneric);

// Whole-string integer in [lo, hi]; the reason otherwise ("must be 1..32767, got 0").
std::optional<std::string> check_int(const std::string& text, int64_t lo, int64_t hi,
                                     int64_t* out = nullptr);

// Trailing whitespace/newlines removed, internal whitespace runs folded to one space.
std::string fold_ws(const std::string& s);

// Number of possible CPUs (nr_cpu_ids) from /sys/devices/system/cpu/possible, or nullopt.
std::optional<int> possible_cpus(const Host& host);
// The online CPUs, or nullopt when unreadable.
std::optional<CpuSet> online_cpus(const Host& host);

// A network interface name as the kernel allows it: 1..15 chars, no '/', ':', whitespace or NUL,
// not "." or "..". The reason when not.
std::optional<std::string> check_ifname(const std::string& name);

// Splits on every `sep` ("a::b" -> {"a", "", "b"}).
std::vector<std::string> split(const std::string& s, char sep);

bool is_digits(const std::string& s);

}  // namespace tunectl::knob_util
