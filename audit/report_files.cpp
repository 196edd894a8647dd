// Reading and writing the files of an audit report (see report_files.h).
#include "audit/report_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "audit/report_html.h"
#include "audit/report_markdown.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "core/json_text.h"

namespace tunectl {
namespace {

// mkdir -p with mode 0755; a part that exists must be a directory.
void make_dirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i < dir.size() && dir[i] != '/') continue;
    const std::string part = dir.substr(0, i);
    struct stat st;
    if (::stat(part.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) throw InputError(part + ": exists and is not a directory");
      continue;
    }
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) throw Error(part + ": " + std::strerror(errno));
  }
}

}  // namespace

json load_audit_report(const std::string& path) {
  const ReadResult r = read_regular_file(path, kMaxAuditReportBytes);
  if (!r.ok) throw InputError(r.error);
  json report;
  try {
    report = json::parse(r.data);
  } catch (const json::exception& e) {
    throw InputError(path + ": not JSON: " + e.what());
  }
  const json schema = report.is_object() && report.contains("schema") ? report["schema"] : json();
  if (schema != kAuditSchema)
    throw InputError(path + ": not an audit report: has schema " +
                     (schema.is_string() ? "'" + schema.get<std::string>() + "'" : std::string("none")) +
                     ", expected " + kAuditSchema);
  return report;
}

void write_audit_report_files(const json& report, const std::string& out_dir) {
  if (out_dir.empty()) throw InputError("the output directory is empty");
  make_dirs(out_dir);
  const std::string base = out_dir.back() == '/' ? out_dir : out_dir + "/";
  // replace: a report built in memory may hold bytes that are not UTF-8; the files must still be written.
  write_file_atomically(base + kAuditReportFiles[0], dump_json(report, 2) + "\n");
  write_file_atomically(base + kAuditReportFiles[1], render_audit_markdown(report));
  write_file_atomically(base + kAuditReportFiles[2], render_audit_html(report));
}

}  // namespace tunectl
