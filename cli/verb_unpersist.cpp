// tunectl unpersist: remove the persisted profile and disable tunectl-boot.service (tuner/apply/persist.h).
#include <iostream>

#include "core/json_text.h"
#include "cli/common_options.h"
#include "cli/verb.h"
#include "tuner/apply/persist.h"

namespace tunectl::cli {
namespace {

const char* kNotes =
    "Removes the enable link /etc/systemd/system/multi-user.target.wants/tunectl-boot.service, then\n"
    "the record /etc/tunectl/persisted.json (a corrupt one too), inside --root DIR when given. The\n"
    "settings in effect stay until `tunectl rollback` or the next reboot. Nothing persisted is not\n"
    "an error: it says so and exits 0.\n"
    "--json prints {root, removed_link, removed_record, profile, digest, message}.\n\n"
    "exit: 0 removed or nothing to remove, 2 bad option or a failed removal, 3 not permitted\n";

int run_unpersist(const std::vector<std::string>& args) {
  po::options_description opts("unpersist options");
  add_common(opts, kRoot | kJson);
  po::variables_map vm;
  if (!parse_options("unpersist", "[--root DIR] [--json]\n\n" + std::string(kNotes), opts, args, vm)) return 0;
  const Common common = read_common(vm);
  const UnpersistResult r = unpersist(common.root);
  if (common.json)
    std::cout << dump_json(json(r), 2) << "\n";
  else
    std::cout << r.message << "\n";
  return kExitOk;
}

}  // namespace

Verb verb_unpersist() { return {"unpersist", "stop re-applying the persisted profile at boot", run_unpersist}; }

}  // namespace tunectl::cli
