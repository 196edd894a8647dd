// Python: probe(root, only, irq_counts) -> JSON text of the snapshot.
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
      [](const std::string& root, const std::vector<std::string>& only, const std::string& irq_counts) {
        if (irq_counts != "sparse" && irq_counts != "full")
          throw InputError("irq_counts: '" + irq_counts + "' is neither sparse nor full");
        pybind11::gil_scoped_release release;
        Host host(root);
        if (!host.is_dir("/")) throw InputError("root " + root + ": not a directory");
        Snapshot snap = take_snapshot(host, only);
        snap.irq_counts = irq_counts == "full" ? IrqCounts::kFull : IrqCounts::kSparse;
        return dump_json(json(snap));
      },
      pybind11::arg("root") = "/", pybind11::arg("only") = std::vector<std::string>{},
      pybind11::arg("irq_counts") = "sparse",
      "Probe the host (or a captured tree) and return the snapshot as JSON text.");
}};

}  // namespace
}  // namespace tunectl::py
