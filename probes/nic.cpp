// PLACEHOLDER: replaced by the real probe.
#include "probes/nic.h"
#include "probes/errors.h"
namespace tunectl {
std::optional<IrqQueue> classify_nic_irq(const std::string&, const std::string&, const std::string&,
                                         const std::string&) { return std::nullopt; }
std::vector<NicInfo> probe_nics(const Host&, Irqs&, ProbeErrors&) { throw Error("nic probe is not implemented yet"); }
}  // namespace tunectl
