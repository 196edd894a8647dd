// tunectl boot: re-apply the persisted profile at boot (tuner/apply/boot.h); run by the shipped
// unit tunectl-boot.service, whose output goes to the journal.
#include <iostream>

#include "core/json_text.h"
#include "cli/common_options.h"
#include "cli/verb.h"
#include "tuner/apply/boot.h"

namespace tunectl::cli {
namespace {

const char* kNotes =
    "Reads the profile `tunectl apply -p PROFILE --persist` recorded in /etc/tunectl/persisted.json\n"
    "(its sha256 checked), plans it against the host as it is now (conditions evaluated again) and:\n"
    "  - when the host already holds every setting, prints \"host matches ...; nothing written\" and\n"
    "    writes nothing at all (no journal, no state dir);\n"
    "  - otherwise applies it as one transaction, without asking (as `apply --yes --recover`): a\n"
    "    transaction left open by a crash before the reboot is from an earlier boot, so it is closed\n"
    "    without writing its runtime settings first (the reboot already reset them; kernel\n"
    "    parameters it wrote are restored).\n"
    "Non-interactive, for tunectl-boot.service: the result is one line on stdout, errors on stderr;\n"
    "the unit fails on any non-zero exit, which never holds up the boot (docs/persistence.md).\n"
    "--json prints schema tunectl.boot/1: root, profile, digest, matched, message, transaction.\n\n"
    "exit: 0 re-applied or nothing to do, 2 open transaction that could not be recovered / corrupt\n"
    "      journal / bad option, 3 not permitted, 4 apply failed and was rolled back, 5 lock held,\n"
    "      7 no persisted profile, or a record that is corrupt or does not match its digest\n";

int run_boot(const std::vector<std::string>& args) {
  po::options_description opts("boot options");
  add_common(opts, kRoot | kStateDir | kJson);
  po::variables_map vm;
  if (!parse_options("boot", "[--root DIR] [--state-dir DIR] [--json]\n\n" + std::string(kNotes), opts, args, vm))
    return 0;
  const Common common = read_common(vm);
  BootRequest req;
  req.root = common.root;
  req.state_dir = common.state_dir;
  const BootResult r = boot(req);
  const bool ok = r.matched || r.tx.state == TxState::kApplied;
  if (common.json)
    std::cout << dump_json(json(r), 2) << "\n";
  else
    (ok ? std::cout : std::cerr) << (ok ? "" : "tunectl boot: ") << r.message << "\n";
  return ok ? kExitOk : kExitApplyFailed;
}

}  // namespace

Verb verb_boot() { return {"boot", "re-apply the persisted profile (run at boot by tunectl-boot.service)", run_boot}; }

}  // namespace tunectl::cli
