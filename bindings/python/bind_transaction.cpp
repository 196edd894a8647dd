// Python: apply_json, rollback_json, history_json -> JSON text, exactly what the CLI's --json prints.
// The GIL is released while the library touches the host (apply can take a while on big hosts).
#include <pybind11/stl.h>

#include "bindings/python/module.h"
#include "core/json_text.h"
#include "tuner/apply/transaction.h"

namespace tunectl::py {
namespace {

namespace pyb = pybind11;

const BinderRegistration reg{[](pyb::module_& m) {
  m.def(
      "apply_json",
      [](const std::string& profile, const std::string& root, const std::optional<std::string>& state_dir,
         bool dry_run, bool recover, const std::optional<std::string>& profile_path) {
        pyb::gil_scoped_release release;
        ApplyRequest req;
        req.profile = profile;
        req.profile_path = profile_path;
        req.root = root;
        req.state_dir = state_dir;
        req.dry_run = dry_run;
        req.recover = recover;
        return dump_json(json(apply_profile(req)));
      },
      pyb::arg("profile"), pyb::arg("root") = "/", pyb::arg("state_dir") = std::nullopt,
      pyb::arg("dry_run") = false, pyb::arg("recover") = false, pyb::arg("profile_path") = std::nullopt,
      "Apply a profile as one transaction; returns the transaction as JSON text (as `tunectl apply --json`).");
  m.def(
      "rollback_json",
      [](const std::optional<std::string>& to, const std::string& root, const std::optional<std::string>& state_dir,
         bool force) {
        pyb::gil_scoped_release release;
        RollbackRequest req;
        req.to = to;
        req.root = root;
        req.state_dir = state_dir;
        req.force = force;
        return dump_json(json{{"rolled_back", rollback(req)}});
      },
      pyb::arg("to") = std::nullopt, pyb::arg("root") = "/", pyb::arg("state_dir") = std::nullopt,
      pyb::arg("force") = false,
      "Roll back the last (or named) transaction; JSON text as `tunectl rollback --json`.");
  m.def(
      "history_json",
      [](const std::string& root, const std::optional<std::string>& state_dir) {
        pyb::gil_scoped_release release;
        json list = json::array();
        for (const auto& t : history(root, state_dir)) list.push_back(summary_json(t));
        return dump_json(json{{"state_dir", state_dir_for(root, state_dir)}, {"transactions", list}});
      },
      pyb::arg("root") = "/", pyb::arg("state_dir") = std::nullopt,
      "Recorded transactions; JSON text as `tunectl history --json`.");
}};

}  // namespace
}  // namespace tunectl::py
