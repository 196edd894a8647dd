// Cell helpers shared by the areas' `tunectl probe` sections (probes/*_area.cpp).
#pragma once
#include <optional>
#include <string>

#include "core/parse.h"
#include "core/table.h"

namespace tunectl {

inline const char* const kUnknownCell = "\u2014";  // "—": a yes/no question with no answer

template <class T>
Table::Cell opt_num(const std::optional<T>& v) {
  return v ? Table::Cell(std::to_string(*v)) : std::nullopt;
}

// A number with at most `precision` decimals, trailing zeros dropped: 2.50 -> "2.5".
std::string decimal(double v, int precision);
// A cpulist, "none" when empty.
std::string or_none(const std::string& cpulist);
// The CPUs of an optional cpulist; empty when null or unparsable.
CpuSet cpus_of(const std::optional<std::string>& cpulist);

}  // namespace tunectl
