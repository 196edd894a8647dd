// Where a host's boot loader takes kernel parameters from, and tunectl's share of it (the boot:
// knob kind, knob_boot.cpp). Two layouts, detected from the files present:
//   GRUB            /etc/default/grub exists: tunectl owns the drop-in
//                   /etc/default/grub.d/tunectl.cfg, which appends its parameters to
//                   GRUB_CMDLINE_LINUX_DEFAULT (grub-mkconfig sources grub.d/*.cfg after
//                   /etc/default/grub); regenerated with update-grub or grub[2]-mkconfig.
//   kernel-install  /etc/kernel/cmdline exists (systemd-boot, UKIs): tunectl edits its own
//                   parameters in that file in place and leaves every other byte as it was;
//                   regenerated with `kernel-install add` for the running kernel.
// GRUB wins when both exist unless /etc/kernel/install.conf says layout=bls or uki.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/run_command.h"

namespace tunectl {

enum class BootLoader { kNone, kGrub, kKernelInstall };

struct BootConfig {
  BootLoader loader = BootLoader::kNone;
  std::string file;  // the file tunectl's parameters live in
  std::string why;   // kNone: why neither layout was found
};
BootConfig detect_boot_config(const Host& host);

// The value of parameter `name` in `params` (a kernel command line; the last occurrence wins), or
// nullopt when it is absent. A bare word ("nosmt") has the value "".
std::optional<std::string> cmdline_param(const std::string& params, const std::string& name);
// `params` with parameter `name` set to `value` in place (the last occurrence), appended (" name=
// value", before any trailing whitespace) when absent, or removed with the blank before it when
// `value` is nullopt. Setting then removing a parameter gives back the exact bytes.
std::string set_cmdline_param(const std::string& params, const std::string& name,
                              const std::optional<std::string>& value);

// tunectl's parameters as configured for the next boot: the GRUB drop-in's parameter list, or the
// whole of /etc/kernel/cmdline. A missing drop-in is "" (no parameters); an unreadable file, or a
// drop-in not in tunectl's format (edited by hand), is an error naming the file.
struct ConfiguredParams {
  bool ok = false;
  std::string params, error;
};
ConfiguredParams read_configured_params(const Host& host, const BootConfig& config);
// Writes `params` back: the GRUB drop-in (removed when `params` is empty) or /etc/kernel/cmdline.
// Returns 0 or errno.
int write_configured_params(const Host& host, const BootConfig& config, const std::string& params);

// The command that regenerates the boot loader's configuration on this host, or empty when none
// is installed (the caller then says what to run).
std::vector<std::string> regeneration_command(const Host& host, const BootConfig& config);

}  // namespace tunectl
