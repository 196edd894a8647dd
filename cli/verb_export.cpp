// tunectl export: a profile as native configuration files (tuner/apply/export_native.h).
#include <iostream>

#include "core/errors.h"
#include "core/file_io.h"
#include "core/json_text.h"
#include "cli/common_options.h"
#include "cli/verb.h"
#include "tuner/apply/export_native.h"

namespace tunectl::cli {
namespace {

const char* kNotes =
    "Plans the profile against the host (--root DIR for a captured tree; conditions evaluated there)\n"
    "and prints what apply would leave set, in the format's own syntax. Writes nothing (with --out\n"
    "FILE, only that file, atomically).\n"
    "  sysctl.d  one `key = value` line per sysctl, for /etc/sysctl.d/NN-name.conf (systemd-sysctl\n"
    "            reads it at boot; `sysctl -p FILE` loads it now). Every other knob (sysfs files,\n"
    "            IRQ affinity, ethtool, cgroups, CPU power) cannot be said in sysctl.d: each is\n"
    "            listed at the end as a comment with the reason, and in --json as not_expressible.\n"
    "  udev      rules for /etc/udev/rules.d/, applied each time the device is added: per-queue RPS/XPS\n"
    "            masks and rps_flow_cnt as ATTR{} of the NIC, ethtool channels/rings/coalescing as\n"
    "            RUN+=\"/usr/sbin/ethtool ...\" (once per add event), cpufreq/cpuidle/epb files as\n"
    "            ATTR{} of each CPU. Sysctls, THP, intel_pstate, IRQ affinity, cgroups: not expressible.\n"
    "  tmpfiles.d  systemd-tmpfiles `w` lines for /etc/tmpfiles.d/, written early at boot (a file that\n"
    "            does not exist yet is skipped): THP, intel_pstate, per-CPU cpufreq/cpuidle/epb files.\n"
    "            NIC queues and ethtool (use udev), sysctls, IRQ affinity, cgroups: not expressible.\n"
    "--json prints schema tunectl.export/1: format, profile, digest, root, text (the file),\n"
    "settings[{knob, key, value, per_netns}] (key: the sysctl, kernel file or ethtool command; value: the\n"
    "bytes written there), not_expressible[{knob, value, reason}].\n\n"
    "exit: 0 exported, 2 bad option, unknown format or bad profile, 3 profile not trusted as root\n";

int run_export(const std::vector<std::string>& args) {
  po::options_description opts("export options");
  std::string formats;
  for (const auto& f : export_formats()) formats += (formats.empty() ? "" : "|") + f;
  opts.add_options()
      ("profile,p", po::value<std::string>()->required(), "built-in profile name or path to a profile file")
      ("format", po::value<std::string>()->default_value("sysctl.d"), ("output format: " + formats).c_str())
      ("out,o", po::value<std::string>(), "write the file here (atomically) instead of stdout");
  add_common(opts, kRoot | kJson | kProfilePath);
  po::variables_map vm;
  if (!parse_options("export", "-p PROFILE [--format " + formats + "] [--out FILE] [--root DIR] [--json]\n\n" +
                                   std::string(kNotes) + "\n" + kProfileSearchHelp,
                     opts, args, vm))
    return 0;
  const Common common = read_common(vm);
  ExportRequest req;
  req.profile = vm["profile"].as<std::string>();
  req.profile_path = common.profile_path;
  req.root = common.root;
  req.format = vm["format"].as<std::string>();
  note_shadowing(req.profile, common);
  const NativeExport e = export_native(req);
  if (vm.count("out")) write_file_atomically(vm["out"].as<std::string>(), e.text);
  if (common.json)
    std::cout << dump_json(json(e), 2) << "\n";
  else if (!vm.count("out"))
    std::cout << e.text;
  else
    std::cerr << "wrote " << vm["out"].as<std::string>() << ": " << e.settings.size() << " setting(s), "
              << e.not_expressible.size() << " not expressible as " << e.format << "\n";
  return kExitOk;
}

}  // namespace

Verb verb_export() {
  return {"export", "a profile as native files (sysctl.d, udev, tmpfiles.d), with what they cannot express", run_export};
}

}  // namespace tunectl::cli
