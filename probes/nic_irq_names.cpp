// IRQ action names -> NIC queue and kind, by each driver's naming convention. Hand-written
// matching (no std::regex): it runs for every IRQ × NIC pair on hosts with thousands of vectors.
#include <string_view>

#include "probes/nic.h"

namespace tunectl {
namespace {

bool eat(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// The whole of `s` as a non-negative decimal number.
std::optional<int> number(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

IrqQueue other() { return {std::nullopt, "other"}; }

// "mlx5_comp3", "mana_q0", "mlx5_async17", "mana_hwc", "ena-mgmnt": names that end in @pci:<addr>
// on current kernels (the suffix is already removed here).
std::optional<IrqQueue> classify_pci_named(std::string_view driver, std::string_view stem) {
  const bool mlx5 = starts_with(driver, "mlx5");
  const bool mana = driver == "mana";
  if (mlx5 && eat(stem, "mlx5_comp")) {
    if (auto n = number(stem)) return IrqQueue{*n, "txrx"};
    return std::nullopt;
  }
  if (mana && eat(stem, "mana_q")) {
    if (auto n = number(stem)) return IrqQueue{*n, "txrx"};
    return std::nullopt;
  }
  if ((mlx5 && starts_with(stem, "mlx5_")) || (mana && starts_with(stem, "mana_")) ||
      (driver == "ena" && starts_with(stem, "ena-")))
    return other();  // async/pages/cmd EQs, the HW channel, the management vector
  return std::nullopt;
}

// "virtio2-input.0" (rx 0), "virtio2-output.3" (tx 3), "virtio2-config", "virtio2-control".
std::optional<IrqQueue> classify_virtio(std::string_view device, std::string_view name) {
  std::string_view rest = name;
  if (!eat(rest, "virtio")) return std::nullopt;
  const size_t dash = rest.find('-');
  if (dash == std::string_view::npos || !number(rest.substr(0, dash))) return std::nullopt;
  if (!device.empty() && name.substr(0, 6 + dash) != device) return std::nullopt;
  rest.remove_prefix(dash + 1);
  if (eat(rest, "input.")) {
    if (auto k = number(rest)) return IrqQueue{*k, "rx"};
    return std::nullopt;
  }
  if (eat(rest, "output.")) {
    if (auto k = number(rest)) return IrqQueue{*k, "tx"};
    return std::nullopt;
  }
  // One vector shared by every virtqueue (too few MSI-X vectors): all queues, no single index.
  if (rest == "virtqueues") return IrqQueue{std::nullopt, "txrx"};
  return other();  // config, control, and anything else of this device
}

// Names built from the interface: Intel (i40e/ice/iavf prefix their driver name; ixgbe, igb, bnxt
// do not), ena's "Tx-Rx", and the misc/fdir vectors named after the PCI function.
std::optional<IrqQueue> classify_if_named(std::string_view driver, std::string_view ifname,
                                          std::string_view pci, std::string_view name) {
  if (!driver.empty() && name.size() > driver.size() && name[driver.size()] == '-' && starts_with(name, driver))
    name.remove_prefix(driver.size() + 1);
  if (!pci.empty() && eat(name, pci) && eat(name, ":")) return other();  // "<pci>:misc", "<pci>:fdir-TxRx-0"
  if (ifname.empty() || !eat(name, ifname)) return std::nullopt;
  if (name.empty()) return other();  // ixgbe/igb link-state vector is named after the interface
  if (!eat(name, "-")) return std::nullopt;
  if (name.find("fdir") != std::string_view::npos) return other();
  struct Form {
    std::string_view prefix, kind;
  };
  static constexpr Form forms[] = {{"TxRx-", "txrx"}, {"Tx-Rx-", "txrx"}, {"txrx-", "txrx"},
                                   {"rx-", "rx"},     {"tx-", "tx"}};
  for (const auto& f : forms) {
    std::string_view rest = name;
    if (eat(rest, f.prefix)) {
      if (auto n = number(rest)) return IrqQueue{*n, std::string(f.kind)};
    }
  }
  return other();
}

std::optional<IrqQueue> classify_action(const std::string& driver, const std::string& ifname,
                                        const std::string& pci, std::string_view name,
                                        const std::string& device) {
  // "<stem>@pci:<addr>": the address decides ownership whatever the driver.
  if (const size_t at = name.find("@pci:"); at != std::string_view::npos) {
    if (!pci.empty() && name.substr(at + 5) != pci) return std::nullopt;
    if (auto q = classify_pci_named(driver, name.substr(0, at))) return q;
    return other();
  }
  if (driver == "virtio_net") return classify_virtio(device, name);
  // Older mlx5/mana kernels drop the @pci suffix; the caller ties those to the function's vectors.
  if (auto q = classify_pci_named(driver, name)) return q;
  return classify_if_named(driver, ifname, pci, name);
}

}  // namespace

std::optional<IrqQueue> classify_nic_irq(const std::string& driver, const std::string& ifname,
                                         const std::string& pci, const std::string& irq_name,
                                         const std::string& device) {
  // A shared line lists every handler: "eth0-TxRx-0, other-handler".
  std::string_view all = irq_name;
  while (!all.empty()) {
    size_t comma = all.find(", ");
    std::string_view one = all.substr(0, comma);
    if (auto q = classify_action(driver, ifname, pci, one, device)) return q;
    if (comma == std::string_view::npos) break;
    all.remove_prefix(comma + 2);
  }
  return std::nullopt;
}

}  // namespace tunectl
