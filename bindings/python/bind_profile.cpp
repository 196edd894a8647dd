// Python: load_profile / plan / verify / profiles -> JSON text, the same JSON the CLI prints. Every
// function that looks a profile up by name takes profile_path (--profile-path; None: the default).
#include <pybind11/stl.h>

#include "bindings/python/module.h"
#include "bindings/python/profile_arg.h"
#include "core/json_text.h"
#include "tuner/plan/planner.h"
#include "tuner/profile/profile.h"
#include "tuner/plan/verify.h"

namespace tunectl::py {
namespace {

using ProfilePath = std::optional<std::string>;
using ProfileText = std::optional<std::string>;  // bindings/python/profile_arg.h

const BinderRegistration reg{[](pybind11::module_& m) {
  namespace py = pybind11;
  m.def(
      "load_profile_json",
      [](const std::string& name_or_path, const ProfilePath& profile_path, const ProfileText& text) {
        return dump_json(profile_json(load_profile_arg(name_or_path, text, profile_path)));
      },
      py::arg("name_or_path"), py::arg("profile_path") = std::nullopt, py::arg("profile_text") = std::nullopt,
      "Load and validate a profile; JSON text of it resolved (extends merged).");
  m.def(
      "show_profile_json",
      [](const std::string& name_or_path, const std::string& root, const ProfilePath& profile_path,
         const ProfileText& text) {
        py::gil_scoped_release release;
        const Profile profile = load_profile_arg(name_or_path, text, profile_path);
        const Host host = host_for_root(root);
        return dump_json(evaluated_profile_json(profile, plan_snapshot(host, condition_areas()), &host));
      },
      py::arg("name_or_path"), py::arg("root") = "/", py::arg("profile_path") = std::nullopt,
      py::arg("profile_text") = std::nullopt,
      "JSON text of `tunectl profiles show NAME --json`: the profile evaluated against a host.");
  m.def(
      "list_profiles_json",
      [](const std::string& root, const ProfilePath& profile_path) {
        py::gil_scoped_release release;
        const Host host = host_for_root(root);
        return dump_json(profile_listing_json(profile_search_dirs(profile_path), plan_snapshot(host, condition_areas()), host));
      },
      py::arg("root") = "/", py::arg("profile_path") = std::nullopt,
      "JSON text of `tunectl profiles list --json`.");
  m.def(
      "plan_json",
      [](const std::string& name_or_path, const std::string& root, const ProfilePath& profile_path,
         const ProfileText& text) {
        py::gil_scoped_release release;
        const Profile profile = load_profile_arg(name_or_path, text, profile_path);
        const Host host = host_for_root(root);
        return dump_json(json(make_plan(host, plan_snapshot(host, plan_areas(profile)), profile)));
      },
      py::arg("name_or_path"), py::arg("root") = "/", py::arg("profile_path") = std::nullopt,
      py::arg("profile_text") = std::nullopt, "JSON text of `tunectl plan --json`.");
  m.def(
      "verify_json",
      [](const std::string& name_or_path, const std::string& root, const ProfilePath& profile_path,
         const ProfileText& text, bool strict) {
        py::gil_scoped_release release;
        const Profile profile = load_profile_arg(name_or_path, text, profile_path);
        const Host host = host_for_root(root);
        return dump_json(json(verify_profile(host, plan_snapshot(host, plan_areas(profile)), profile, strict)));
      },
      py::arg("name_or_path"), py::arg("root") = "/", py::arg("profile_path") = std::nullopt,
      py::arg("profile_text") = std::nullopt, py::arg("strict") = false, "JSON text of `tunectl verify --json`.");
}};

}  // namespace
}  // namespace tunectl::py
