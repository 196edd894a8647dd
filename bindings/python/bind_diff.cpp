// Python: diff_load_json(path) -> the JSON text of a file read as diff input (bounded, strict);
// diff_json(a, b, a_label, b_label, counters) -> the diff (schema tunectl.diff/1) as JSON text.
#include "audit/diff.h"
#include "bindings/python/module.h"
#include "core/json_text.h"

namespace tunectl::py {
namespace {

const BinderRegistration reg{[](pybind11::module_& m) {
  m.def(
      "diff_load_json", [](const std::string& path) { return dump_json(load_diff_input(path)); }, pybind11::arg("path"),
      "A diff input file's JSON text: a regular file of at most 64 MiB holding strict JSON, else InputError "
      "naming the path.");
  m.def(
      "diff_json",
      [](const std::string& a, const std::string& b, const std::string& a_label, const std::string& b_label,
         bool counters) {
        DiffOptions options;
        options.a_label = a_label;
        options.b_label = b_label;
        options.counters = counters;
        return dump_json(diff_documents(parse_diff_input(a, a_label), parse_diff_input(b, b_label), options));
      },
      pybind11::arg("a"), pybind11::arg("b"), pybind11::arg("a_label") = "A", pybind11::arg("b_label") = "B",
      pybind11::arg("counters") = false,
      "What differs between two snapshots or two audit reports (JSON texts); returns the diff as JSON text. "
      "InputError names the label of an input that is not JSON, not a snapshot or audit report, or of another "
      "kind than the other.");
}};

}  // namespace
}  // namespace tunectl::py
