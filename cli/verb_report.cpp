// tunectl report: renders an audit's report.json again (Markdown, HTML, Prometheus textfile).
#include <iostream>

#include "audit/prometheus.h"
#include "audit/report_fields.h"
#include "audit/report_files.h"
#include "core/file_io.h"
#include "cli/common_options.h"
#include "cli/verb.h"
#include "core/json_text.h"

namespace tunectl::cli {
namespace {

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

int run_report(const std::vector<std::string>& args) {
  po::options_description opts("report options");
  opts.add_options()("report", po::value<std::string>()->required(), "the audit's report.json")(
      "out", po::value<std::string>(),
      "where to write report.json, report.md, report.html (default: the report's directory)")(
      "prometheus", po::value<std::string>(),
      "also write the Prometheus textfile here (e.g. node_exporter's textfile dir/tunectl_audit.prom)");
  add_common(opts, kJson);
  po::positional_options_description pos;
  pos.add("report", 1);
  po::variables_map vm;
  if (!parse_options(
          "report",
          "REPORT.json [--out DIR] [--prometheus FILE] [--json]\n\n"
          "Re-renders the files of a `tunectl audit` report (schema tunectl.audit/1): report.json,\n"
          "report.md (for a change request), report.html (one self-contained page with charts), and\n"
          "with --prometheus a node_exporter textfile. Every file is replaced atomically.\n"
          "--json prints {\"report\", \"out_dir\", \"files\": [...], \"prometheus\", \"passed\", \"summary\"}.",
          opts, args, vm, &pos))
    return 0;
  const std::string path = vm["report"].as<std::string>();
  const json report = load_audit_report(path);
  const std::string out_dir = vm.count("out") ? vm["out"].as<std::string>() : directory_of(path);
  write_audit_report_files(report, out_dir);
  json prometheus;
  if (vm.count("prometheus")) {
    prometheus = vm["prometheus"].as<std::string>();
    write_file_atomically(prometheus.get<std::string>(), render_audit_prometheus(report));
  }
  json files = json::array();
  for (const char* name : kAuditReportFiles) files.push_back((out_dir.back() == '/' ? out_dir : out_dir + "/") + name);

  const json& outcome = audit_report::at(report, "outcome");
  if (read_common(vm).json) {
    std::cout << dump_json(json{{"report", path},
                                {"out_dir", out_dir},
                                {"files", files},
                                {"prometheus", prometheus},
                                {"passed", audit_report::at(outcome, "passed")},
                                {"summary", audit_report::at(outcome, "summary")}},
                          2)
              << "\n";
    return 0;
  }
  std::cout << audit_report::pass_word(report) << ": " << audit_report::summary_text(report) << "\n";
  for (const auto& f : files) std::cout << "wrote " << f.get<std::string>() << "\n";
  if (!prometheus.is_null()) std::cout << "wrote " << prometheus.get<std::string>() << " (Prometheus textfile)\n";
  return 0;
}

}  // namespace

Verb verb_report() {
  return {"report", "render an audit's report.json again as Markdown, HTML, Prometheus", run_report};
}

}  // namespace tunectl::cli
