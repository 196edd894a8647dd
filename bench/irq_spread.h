// The numbers irq_spread reports for one counting window, as a pure function of the per-CPU
// interrupt deltas, so the rules (especially "no interrupts means no number") are testable
// without traffic.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/parse.h"

namespace tunectl::bench {

struct IrqWindow {
  CpuSet allowed;                  // the CPUs the IRQ may use (its requested affinity)
  CpuSet intended;                 // where it should land (--target, or `allowed`)
  std::map<int, uint64_t> counts;  // CPU -> interrupts in the window
};

struct Spread {
  uint64_t interrupts = 0;
  // Busiest allowed CPU / mean over the allowed CPUs; nullopt when nothing arrived (no data is
  // no number: 0 would read as a perfect score).
  std::optional<double> imbalance;
  // Share of the interrupts on the intended CPUs; nullopt when nothing arrived.
  std::optional<double> on_target_fraction;
};

Spread interrupt_spread(const std::vector<IrqWindow>& irqs);

}  // namespace tunectl::bench
