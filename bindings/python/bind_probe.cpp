// Python: probe(root, only) -> JSON text of the snapshot.
#include <pybind11/stl.h>

#include "bindings/python/module.h"
#include "core/errors.h"
#include "core/json_text.h"
#include "probes/snapshot.h"

namespace tunectl::py {
namespace {

const BinderRegistration reg{[](pybind11::module_& m) {
  m.def(
      "probe_json",
      [](const std::string& root, const std::vector<std::string>& only) {
        pybind11::gil_scoped_release release;
        Host host(root);
        if (!host.is_dir("/")) throw InputError("root " + root + ": not a directory");
        return dump_json(json(take_snapshot(host, only)));
      },
      pybind11::arg("root") = "/", pybind11::arg("only") = std::vector<std::string>{},
      "Probe the host (or a captured tree) and return the snapshot as JSON text.");
}};

}  // namespace
}  // namespace tunectl::py
