// Python: bench_list_json(), bench_run_json(name, options, reps, warmup), bench_ab_json(name,
// options_a, options_b, reps, warmup), bench_compare_json(a, b, noise_file, allow_underpowered),
// bench_load_result_json(path). Benchmarks run with the GIL released; results are JSON text (tunectl.bench/1).
// Ctrl-C stops a benchmark before its next run (torn down) and raises KeyboardInterrupt.
#include <pybind11/stl.h>

#include "bindings/python/interrupt.h"
#include "bindings/python/module.h"
#include "core/errors.h"
#include "bench/bench.h"
#include "bench/calibration.h"
#include "bench/compare.h"
#include "bench/result_file.h"
#include "bench/runner.h"
#include "core/json_text.h"

namespace tunectl::py {
namespace {

namespace b = tunectl::bench;

json spec_json(const b::Benchmark& bench) {
  json o = json::array(), m = json::array();
  for (const auto& s : bench.options())
    o.push_back({{"name", s.name}, {"default", s.default_value}, {"help", s.help}, {"flag", s.is_flag}});
  for (const auto& s : bench.metrics()) m.push_back({{"name", s.name}, {"unit", s.unit}, {"higher_is_better", s.higher_is_better}});
  return {{"name", bench.name()}, {"summary", bench.summary()}, {"options", o}, {"metrics", m}};
}

json parse(const std::string& text, const char* which) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(std::string(which) + ": " + e.what());
  }
}

const BinderRegistration reg{[](pybind11::module_& m) {
  m.def(
      "bench_list_json",
      [] {
        json out = json::array();
        for (const auto& name : b::bench_names()) out.push_back(spec_json(*b::make_bench(name)));
        return dump_json(out);
      },
      "Every registered benchmark with its options and metrics, as JSON text.");
  m.def(
      "bench_run_json",
      [](const std::string& name, const std::map<std::string, std::string>& options, int reps, int warmup) {
        auto bench = b::make_bench(name);
        const b::Options opts = b::resolve_options(*bench, options);
        PythonInterrupt interrupt;
        b::RunConfig cfg;
        cfg.reps = reps;
        cfg.warmup = warmup;
        cfg.interrupted = [&interrupt] { return interrupt.check(); };
        try {
          pybind11::gil_scoped_release release;
          return dump_json(b::run_bench(Host("/"), *bench, opts, cfg));
        } catch (const Error& e) {
          interrupt.rethrow(e);
        }
      },
      pybind11::arg("name"), pybind11::arg("options"), pybind11::arg("reps") = 10, pybind11::arg("warmup") = 1,
      "Run a benchmark; returns the result (schema tunectl.bench/1) as JSON text.");
  m.def(
      "bench_ab_json",
      [](const std::string& name, const std::map<std::string, std::string>& options_a,
         const std::map<std::string, std::string>& options_b, int reps, int warmup) {
        auto a = b::make_bench(name), bb = b::make_bench(name);
        const b::Options oa = b::resolve_options(*a, options_a), ob = b::resolve_options(*bb, options_b);
        PythonInterrupt interrupt;
        b::RunConfig cfg;
        cfg.reps = reps;
        cfg.warmup = warmup;
        cfg.interrupted = [&interrupt] { return interrupt.check(); };
        try {
          pybind11::gil_scoped_release release;
          const auto r = b::run_ab(Host("/"), *a, *bb, oa, ob, cfg);
          return std::make_pair(dump_json(r.a), dump_json(r.b));
        } catch (const Error& e) {
          interrupt.rethrow(e);
        }
      },
      pybind11::arg("name"), pybind11::arg("options_a"), pybind11::arg("options_b"), pybind11::arg("reps") = 10,
      pybind11::arg("warmup") = 1, "Run two conditions interleaved, the order alternating (A B, B A, ...); returns both results as JSON text.");
  m.def(
      "bench_compare_json",
      [](const std::string& a, const std::string& b_text, const std::string& noise_file, bool allow_underpowered) {
        const json ja = parse(a, "A"), jb = parse(b_text, "B");
        b::CompareOptions options;
        options.allow_underpowered = allow_underpowered;
        return dump_json(b::compare_results(
            ja, jb, b::NoiseTable::load(noise_file.empty() ? b::default_noise_path() : noise_file), options));
      },
      pybind11::arg("a"), pybind11::arg("b"), pybind11::arg("noise_file") = "",
      pybind11::arg("allow_underpowered") = false,
      "Compare two results (A baseline, B candidate); returns the comparison as JSON text. Raises InputError when "
      "the runs are too few for any verdict, unless allow_underpowered.");
  m.def(
      "bench_load_result_json",
      [](const std::string& path) { return dump_json(b::load_result_file(path)); },
      pybind11::arg("path"),
      "A result file's JSON text: a regular file of bounded size, else InputError naming the path.");
}};

}  // namespace
}  // namespace tunectl::py
