// What the native export formats share (tuner/apply/export_native.h): the kernel files a planned
// change writes, with the exact bytes apply would write on that host, and the text every format
// ends with. Internal to export_native.cpp, export_udev.cpp and export_tmpfiles.cpp.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "tuner/apply/export_native.h"
#include "tuner/plan/plan.h"

namespace tunectl::export_files {

// One file a knob writes: its kernel path and the bytes without the trailing newline.
struct FileWrite {
  std::string path, bytes;
};

// The files a change of a file-backed kind writes on this host (thp, rps, rps_flow, xps,
// cpufreq, cpuidle, epb, pstate), as the knob's write() would: rps/xps masks as wide as the
// kernel prints them, epb names as numbers, only the idle states above a cpuidle ceiling.
// nullopt for every other kind. An empty list: nothing to write (no idle state above it).
std::optional<std::vector<FileWrite>> files_written(const Host& host, const Change& c);

// "thp:enabled" -> "thp".
std::string kind_of(const std::string& knob);
// The value on one line (newlines and tabs become spaces, trailing space dropped).
std::string one_line(std::string s);

// Why a knob kind has no place in a file of a format that does not hold it, pointing to the
// format or command that does (shared by the formats so the reasons read alike).
std::string elsewhere(const std::string& kind);

// The file's header comment: "# <format> file written by `tunectl export --format F`: ..."
std::string header(const NativeExport& e);
// The end every format shares: what cannot be expressed, then what the conditions left out.
std::string tail(const NativeExport& e, const std::vector<Excluded>& excluded);

}  // namespace tunectl::export_files

namespace tunectl::export_files {

// One format: which changes it can say (settings) and which not (not_expressible, with the
// reason), and the file up to the shared tail. One file per format: export_<format>.cpp.
struct Format {
  std::string name;
  void (*classify)(const Host& host, const std::vector<const Change*>& changes, NativeExport& e);
  std::string (*body)(const NativeExport& e);
};
Format udev_format();
// The ethtool(8) command a udev rule runs for "ethtool:<if>:<group>.<field>" = value
// ("/usr/sbin/ethtool -C eth0 adaptive-rx on"), or "" when the group has no ethtool option.
std::string ethtool_command(const std::string& ifname, const std::string& setting, const std::string& value);
Format tmpfiles_format();

}  // namespace tunectl::export_files
