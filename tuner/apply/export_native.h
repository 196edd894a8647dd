// `tunectl export`: a profile as the system's own configuration files, for operators who want
// native files instead of `tunectl boot`. Formats: "sysctl.d" (one `key = value` line per sysctl,
// for /etc/sysctl.d/, read by systemd-sysctl at boot and by `sysctl -p FILE`); "udev" (rules for
// /etc/udev/rules.d/ that set per-queue RPS/XPS/RFS attributes and run ethtool when a NIC is
// added, and per-CPU cpufreq/cpuidle/epb attributes when a CPU is); "tmpfiles.d" (`w` lines for
// /etc/tmpfiles.d/ writing THP, intel_pstate and per-CPU power files at early boot). Whatever a
// format cannot say is listed, with why, as a comment in the file and in `not_expressible`.
// The profile is planned against a host (--root, conditions evaluated there) so that the file
// holds exactly what apply would set there; nothing is written.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace tunectl {

// The formats export knows, in help order.
const std::vector<std::string>& export_formats();

struct ExportRequest {
  std::string profile;                      // name or path, as for apply
  std::optional<std::string> profile_path;  // --profile-path
  std::string root = "/";
  std::string format = "sysctl.d";
};

// One line's worth: sysctl.d key = sysctl name; udev and tmpfiles.d key = the kernel file (or the
// ethtool command line) and value = the bytes apply writes there, without the newline.
struct NativeSetting {
  std::string knob, key, value;
  bool per_netns = false;  // set by the file in the initial network namespace only
};
struct NotExpressible {
  std::string knob, value, reason;
};

struct NativeExport {
  std::string format, profile, digest, root;
  std::string text;  // the file
  std::vector<NativeSetting> settings;
  std::vector<NotExpressible> not_expressible;
};
void to_json(json& j, const NativeExport& e);  // schema "tunectl.export/1"

// Throws InputError for an unknown format, ProfileError for a bad profile.
NativeExport export_native(const ExportRequest& req);

}  // namespace tunectl
