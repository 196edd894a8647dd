// Python: apply_json, rollback_json, history_json -> JSON text, exactly what the CLI's --json prints.
// The GIL is released while the library touches the host (apply can take a while on big hosts).
#include <pybind11/stl.h>

#include "bindings/python/module.h"
#include "bindings/python/profile_arg.h"
#include "core/json_text.h"
#include "tuner/apply/transaction.h"
#include "tuner/plan/plan_review.h"

namespace tunectl::py {
namespace {

namespace pyb = pybind11;

const BinderRegistration reg{[](pyb::module_& m) {
  m.def(
      "apply_json",
      [](const std::string& profile, const std::string& root, const std::optional<std::string>& state_dir,
         bool dry_run, bool recover, const std::optional<std::string>& profile_path,
         const std::optional<std::string>& profile_text, const std::optional<double>& wait, bool strict,
         const std::optional<std::string>& expect_digest, const std::optional<std::string>& expect_plan_json) {
        pyb::gil_scoped_release release;
        ApplyRequest req;
        req.profile = profile;
        req.profile_path = profile_path;
        if (profile_text) req.loaded = load_profile_arg(profile, profile_text, profile_path);
        req.root = root;
        req.state_dir = state_dir;
        req.dry_run = dry_run;
        req.recover = recover;
        req.wait_seconds = wait;
        req.expect.strict = strict;
        req.expect.digest = expect_digest;
        if (expect_plan_json) req.expect.plan = plan_from_json(json::parse(*expect_plan_json), "expect_plan");
        return dump_json(json(apply_profile(req)));
      },
      pyb::arg("profile"), pyb::arg("root") = "/", pyb::arg("state_dir") = std::nullopt,
      pyb::arg("dry_run") = false, pyb::arg("recover") = false, pyb::arg("profile_path") = std::nullopt,
      pyb::arg("profile_text") = std::nullopt, pyb::arg("wait") = std::nullopt, pyb::arg("strict") = false,
      pyb::arg("expect_digest") = std::nullopt, pyb::arg("expect_plan_json") = std::nullopt,
      "Apply a profile as one transaction; returns the transaction as JSON text (as `tunectl apply --json`).");
  m.def(
      "rollback_json",
      [](const std::optional<std::string>& to, const std::string& root, const std::optional<std::string>& state_dir,
         bool force, const std::optional<double>& wait) {
        pyb::gil_scoped_release release;
        RollbackRequest req;
        req.to = to;
        req.root = root;
        req.state_dir = state_dir;
        req.force = force;
        req.wait_seconds = wait;
        std::string nothing_to_do;
        json out{{"rolled_back", rollback(req, &nothing_to_do)}};
        if (!nothing_to_do.empty()) out["nothing_to_do"] = nothing_to_do;
        return dump_json(out);
      },
      pyb::arg("to") = std::nullopt, pyb::arg("root") = "/", pyb::arg("state_dir") = std::nullopt,
      pyb::arg("force") = false, pyb::arg("wait") = std::nullopt,
      "Roll back the last (or named) transaction; JSON text as `tunectl rollback --json`.");
  m.def(
      "history_json",
      [](const std::string& root, const std::optional<std::string>& state_dir) {
        pyb::gil_scoped_release release;
        return dump_json(history_json(root, state_dir));
      },
      pyb::arg("root") = "/", pyb::arg("state_dir") = std::nullopt,
      "Recorded transactions; JSON text as `tunectl history --json`.");
}};

}  // namespace
}  // namespace tunectl::py
