// Python: the kernel's cpulist and hex-mask formats, parsed and printed exactly as the probes and
// knobs do (core/parse.h), so a provisioning script computes CPU sets the way tunectl reads them.
#include <pybind11/stl.h>

#include <algorithm>

#include "bindings/python/module.h"
#include "core/errors.h"
#include "core/parse.h"

namespace tunectl::py {
namespace {

// Sorted and unique, each 0 <= cpu < kMaxCpus: what format_* expect.
CpuSet checked_set(const std::vector<int>& cpus) {
  CpuSet set;
  for (int c : cpus) {
    if (c < 0 || c >= kMaxCpus) throw InputError("CPU number " + std::to_string(c) + " is out of range");
    set.push_back(c);
  }
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  return set;
}

template <class T>
T value_or_throw(Parsed<T> p) {
  if (!p.ok()) throw InputError(p.error);
  return *p.value;
}

const BinderRegistration reg{[](pybind11::module_& m) {
  namespace pyb = pybind11;
  m.def("parse_cpulist", [](const std::string& text) { return value_or_throw(parse_cpulist(text)); }, pyb::arg("text"),
        "\"0-3,8\" -> [0, 1, 2, 3, 8]; InputError on a malformed list.");
  m.def("format_cpulist", [](const std::vector<int>& cpus) { return format_cpulist(checked_set(cpus)); },
        pyb::arg("cpus"), "[8, 0, 1, 2, 3] -> \"0-3,8\" (sorted, duplicates dropped).");
  m.def("parse_cpumask", [](const std::string& text) { return value_or_throw(parse_hex_mask(text)); },
        pyb::arg("text"), "\"0000000f\" or \"00000000,0000000f\" -> [0, 1, 2, 3].");
  m.def(
      "format_cpumask",
      [](const std::vector<int>& cpus, int ncpus) { return format_hex_mask(checked_set(cpus), ncpus); },
      pyb::arg("cpus"), pyb::arg("ncpus"), "[0, 1, 2, 3], 64 -> \"00000000,0000000f\" (as the kernel prints it).");
}};

}  // namespace
}  // namespace tunectl::py
