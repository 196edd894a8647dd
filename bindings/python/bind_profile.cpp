// Python: load_profile / plan / verify / profiles -> JSON text, the same JSON the CLI prints.
#include <pybind11/stl.h>

#include "bindings/python/module.h"
#include "tuner/plan/planner.h"
#include "tuner/profile/profile.h"
#include "tuner/plan/verify.h"

namespace tunectl::py {
namespace {

const BinderRegistration reg{[](pybind11::module_& m) {
  namespace py = pybind11;
  m.def(
      "load_profile_json",
      [](const std::string& name_or_path) { return profile_json(load_profile(name_or_path)).dump(); },
      py::arg("name_or_path"), "Load and validate a profile; JSON text of it resolved (extends merged).");
  m.def(
      "show_profile_json",
      [](const std::string& name_or_path, const std::string& root) {
        py::gil_scoped_release release;
        const Host host = host_for_root(root);
        return evaluated_profile_json(load_profile(name_or_path), plan_snapshot(host)).dump();
      },
      py::arg("name_or_path"), py::arg("root") = "/",
      "JSON text of `tunectl profiles show NAME --json`: the profile evaluated against a host.");
  m.def("list_profiles", []() { return list_profiles(); }, "Names of the built-in profiles.");
  m.def(
      "plan_json",
      [](const std::string& name_or_path, const std::string& root) {
        py::gil_scoped_release release;
        const Profile profile = load_profile(name_or_path);
        const Host host = host_for_root(root);
        return json(make_plan(host, plan_snapshot(host), profile)).dump();
      },
      py::arg("name_or_path"), py::arg("root") = "/", "JSON text of `tunectl plan --json`.");
  m.def(
      "verify_json",
      [](const std::string& name_or_path, const std::string& root) {
        py::gil_scoped_release release;
        const Profile profile = load_profile(name_or_path);
        const Host host = host_for_root(root);
        return json(verify_profile(host, plan_snapshot(host), profile)).dump();
      },
      py::arg("name_or_path"), py::arg("root") = "/", "JSON text of `tunectl verify --json`.");
}};

}  // namespace
}  // namespace tunectl::py
