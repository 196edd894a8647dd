// Python: audit_json -> the audit report as JSON text (what `tunectl audit --json` prints), with
// the report files written when `out` is given. The GIL is released while the audit runs; the
// progress callback and the signal check take it back. Ctrl-C stops the audit after the current
// run, restores the original settings and raises KeyboardInterrupt.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "audit/audit.h"
#include "audit/prometheus.h"
#include "audit/report_files.h"
#include "bindings/python/interrupt.h"
#include "bindings/python/module.h"
#include "bindings/python/profile_arg.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "core/json_text.h"

namespace tunectl::py {
namespace {

namespace pyb = pybind11;

const BinderRegistration reg{[](pyb::module_& m) {
  m.def(
      "audit_json",
      [](const std::string& profile, const std::string& root, const std::optional<std::string>& state_dir,
         const std::string& benches, const std::map<std::string, std::map<std::string, std::string>>& bench_options,
         int rounds, int reps, int warmup, bool keep, bool dry_run, const std::optional<std::string>& noise_file,
         const std::optional<std::string>& out, const std::optional<std::string>& prometheus,
         const std::optional<pyb::function>& progress, const std::optional<std::string>& profile_path,
         const std::optional<std::string>& profile_text) {
        AuditRequest req;
        req.profile = profile;
        req.profile_path = profile_path;
        if (profile_text) req.loaded = load_profile_arg(profile, profile_text, profile_path);
        req.root = root;
        req.state_dir = state_dir;
        req.benches = benches;
        req.bench_options = bench_options;
        req.rounds = rounds;
        req.reps = reps;
        req.warmup = warmup;
        req.keep = keep;
        req.dry_run = dry_run;
        req.noise_file = noise_file;
        AuditHooks hooks;
        PythonInterrupt interrupt;
        hooks.interrupted = [&interrupt] { return interrupt.check(); };
        if (progress)
          hooks.progress = [&progress](const AuditProgress& p) {
            pyb::gil_scoped_acquire gil;
            pyb::dict d;
            d["round"] = p.round;
            d["rounds"] = p.rounds;
            d["bench"] = p.bench;
            d["state"] = p.state;
            d["eta_s"] = p.eta_s;
            (*progress)(d);
          };
        AuditResult r{};
        try {
          pyb::gil_scoped_release release;
          r = run_audit(req, hooks);
          if (!dry_run && out) write_audit_report_files(r.report, *out);
          if (!dry_run && prometheus) write_file_atomically(*prometheus, render_audit_prometheus(r.report));
        } catch (const Error& e) {
          interrupt.rethrow(e);  // the GIL is held again here
        }
        return pyb::make_tuple(dump_json(r.report), r.exit_code);
      },
      pyb::arg("profile"), pyb::arg("root") = "/", pyb::arg("state_dir") = std::nullopt, pyb::arg("benches") = "auto",
      pyb::arg("bench_options") = std::map<std::string, std::map<std::string, std::string>>{}, pyb::arg("rounds") = 10,
      pyb::arg("reps") = 1, pyb::arg("warmup") = 1, pyb::arg("keep") = true, pyb::arg("dry_run") = false,
      pyb::arg("noise_file") = std::nullopt, pyb::arg("out") = std::nullopt, pyb::arg("prometheus") = std::nullopt,
      pyb::arg("progress") = std::nullopt, pyb::arg("profile_path") = std::nullopt,
      pyb::arg("profile_text") = std::nullopt,
      "Run an audit; returns (report JSON text, exit code) as `tunectl audit --json` prints and exits.");
}};

}  // namespace
}  // namespace tunectl::py
