// Python: status_json -> JSON text, exactly what `tunectl status --json` prints.
#include "bindings/python/module.h"

#include <pybind11/stl.h>

#include "core/json_text.h"
#include "tuner/apply/status.h"

namespace tunectl::py {
namespace {

namespace pyb = pybind11;

const BinderRegistration reg{[](pyb::module_& m) {
  m.def(
      "status_json",
      [](const std::string& root, const std::optional<std::string>& state_dir) {
        pyb::gil_scoped_release release;
        return dump_json(json(host_status(root, state_dir)));
      },
      pyb::arg("root") = "/", pyb::arg("state_dir") = std::nullopt,
      "What tunectl has in effect and whether the host still holds it; JSON text as `tunectl status --json`.");
}};

}  // namespace
}  // namespace tunectl::py
