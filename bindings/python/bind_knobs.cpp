// Python: the knob catalogue -> JSON text, the same JSON as `tunectl knobs --json`.
#include "bindings/python/module.h"
#include "core/json_text.h"
#include "tuner/knobs/knob_catalogue.h"

namespace tunectl::py {
namespace {

const BinderRegistration reg{[](pybind11::module_& m) {
  m.def("knobs_json", []() { return dump_json(knob_catalogue_json()); },
        "JSON text of `tunectl knobs --json`: every knob kind and every allowlisted sysctl.");
}};

}  // namespace
}  // namespace tunectl::py
