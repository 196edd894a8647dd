// What a transaction's knobs belonged to, recorded in the journal at apply and checked before a
// rollback writes anything: the boot (a reboot resets every runtime knob), the network namespace
// (net sysctls and interfaces exist once per namespace), the IRQ behind a number and the
// interface behind a name (both are reused by other devices after a reboot or a driver reload).
//
// Journal fields (all optional: records without them roll back unchecked):
//   header   "identity": {"boot_id": "<uuid>", "netns": {"dev": D, "ino": I}}   (netns: live host only)
//   knob     "identity": {"irq": {"number": 38, "actions": "virtio2-input.0", "chip": "PCI-MSIX-..."}}
//                      | {"interface": {"name": "eth0", "ifindex": 2}}
#pragma once
#include <map>
#include <optional>
#include <string>

#include "core/host.h"
#include "core/json.h"
#include "probes/irq.h"
#include "tuner/apply/journal.h"
#include "tuner/knobs/knob.h"

namespace tunectl {

// The header's identity: the host's boot id (when it has /proc/sys/kernel/random/boot_id) and,
// on the live host, this process's network namespace.
json host_identity(const Host& host);

// Whether a knob acts inside one network namespace: per-netns sysctls and interface knobs.
bool netns_bound(const Knob& knob);

// Reads knobs' identities on one host; the IRQs are probed (probes/irq.h) at most once.
class IdentityReader {
 public:
  explicit IdentityReader(const Host& host) : host_(host) {}
  // The knob's identity as journaled (see above), or null for a knob bound to no device.
  json of(const Knob& knob);

 private:
  const Host& host_;
  std::optional<std::map<int, IrqInfo>> irqs_;
};

// Before rolling back `rec` on `host` (the caller holds the lock):
// - from an earlier boot (boot ids differ) and not `force`: returns why nothing should be written;
//   every later check is moot, the host's runtime state was reset;
// - knobs bound to another network namespace than this process's: throws TransactionError (exit 2)
//   naming the namespace and how to enter it. `force` does not override: writing one namespace's
//   previous values into another never restores anything;
// - an IRQ or interface that is no longer the device recorded: throws TransactionError listing
//   every such knob, recorded and current, unless `force`.
// Only the knobs the rollback would write (rec.attempted()) are checked. nullopt: go ahead.
std::optional<std::string> check_rollback(const Host& host, const JournalRecord& rec, bool force);

}  // namespace tunectl
