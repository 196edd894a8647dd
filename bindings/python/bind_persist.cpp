// Python: persist_check, persist_applied_json, unpersist_json, boot_json, export_json -> JSON text, exactly what
// `tunectl apply --persist --json`, `unpersist --json`, `boot --json` and `export --json` print.
#include <pybind11/stl.h>

#include "bindings/python/module.h"
#include "bindings/python/profile_arg.h"
#include "core/json_text.h"
#include "tuner/apply/boot.h"
#include "tuner/apply/export_native.h"
#include "tuner/apply/persist.h"

namespace tunectl::py {
namespace {

namespace pyb = pybind11;

const BinderRegistration reg{[](pyb::module_& m) {
  // apply(persist=True) is persist_check, apply_json, persist_applied_json: the steps of the
  // library's apply_and_persist, so that apply_json's arguments stay in one place.
  m.def(
      "persist_check",
      [](const std::string& root) {
        pyb::gil_scoped_release release;
        return find_boot_unit(host_for_root(root));
      },
      pyb::arg("root") = "/", "The installed tunectl-boot.service, or InputError before anything is written.");
  m.def(
      "persist_applied_json",
      [](const std::string& profile, const std::string& root, const std::optional<std::string>& profile_path,
         const std::optional<std::string>& profile_text, const std::string& tx_json) {
        pyb::gil_scoped_release release;
        ApplyRequest req;
        req.profile = profile;
        req.root = root;
        req.loaded = load_profile_arg(profile, profile_text, profile_path);
        Transaction tx;
        const json t = json::parse(tx_json);
        tx.state = tx_state_from_string(t.at("state").get<std::string>());
        tx.profile_digest = t.at("profile_digest").get<std::string>();
        const auto persisted = persist_applied(req, tx);
        return persisted ? dump_json(json(*persisted)) : std::string("null");
      },
      pyb::arg("profile"), pyb::arg("root"), pyb::arg("profile_path"), pyb::arg("profile_text"), pyb::arg("tx_json"),
      "After apply_json: persist the profile applied (`apply --persist`); JSON \"persisted\" or null.");
  m.def(
      "unpersist_json",
      [](const std::string& root) {
        pyb::gil_scoped_release release;
        return dump_json(json(unpersist(root)));
      },
      pyb::arg("root") = "/", "Remove the persisted profile and the unit's enable link (`unpersist --json`).");
  m.def(
      "boot_json",
      [](const std::string& root, const std::optional<std::string>& state_dir) {
        pyb::gil_scoped_release release;
        BootRequest req;
        req.root = root;
        req.state_dir = state_dir;
        return dump_json(json(boot(req)));
      },
      pyb::arg("root") = "/", pyb::arg("state_dir") = std::nullopt,
      "Re-apply the persisted profile when the host differs (`boot --json`).");
  m.def(
      "export_json",
      [](const std::string& profile, const std::string& format, const std::string& root,
         const std::optional<std::string>& profile_path) {
        pyb::gil_scoped_release release;
        ExportRequest req;
        req.profile = profile;
        req.format = format;
        req.root = root;
        req.profile_path = profile_path;
        return dump_json(json(export_native(req)));
      },
      pyb::arg("profile"), pyb::arg("format") = "sysctl.d", pyb::arg("root") = "/",
      pyb::arg("profile_path") = std::nullopt, "A profile as native files (`export --json`).");
}};

}  // namespace
}  // namespace tunectl::py
