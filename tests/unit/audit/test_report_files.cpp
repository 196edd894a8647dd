// audit/report_files and core's write_file_atomically: the three report files written into a new
// directory (parents too), refusal of a non-directory, atomic replacement without leftovers, and
// the bounded, schema-checked read of a report.json.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "audit/report_files.h"
#include "audit/report_markdown.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "tests/unit/audit/audit_sample.h"
#include "tests/unit/test_helpers.h"

namespace tunectl {
namespace {

using test::audit_sample;
using test::TempTree;
namespace fs = std::filesystem;

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(WriteFileAtomically, ReplacesTheFileWholeWithMode0644AndLeavesNoTemporary) {
  TempTree t;
  const std::string path = t.path() + "/x.prom";
  write_file_atomically(path, "first\n");
  write_file_atomically(path, "second\n");
  EXPECT_EQ(t.read("x.prom"), "second\n");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(names_in(t.path()), std::vector<std::string>{"x.prom"});
  // A symlink at the path is replaced, never written through.
  t.write("target", "keep");
  t.symlink("target", "link");
  write_file_atomically(t.path() + "/link", "new");
  EXPECT_EQ(t.read("target"), "keep");
  EXPECT_EQ(t.read("link"), "new");
  EXPECT_FALSE(fs::is_symlink(t.path() + "/link"));
}

TEST(WriteFileAtomically, ThrowsNamingThePathAndTheReason) {
  TempTree t;
  const std::string missing = t.path() + "/no/such/dir/x.prom";
  EXPECT_EQ(message_of([&] { write_file_atomically(missing, "x"); }), missing + ": No such file or directory");
  fs::create_directory(t.path() + "/dir");
  const std::string onto_dir = t.path() + "/dir";
  EXPECT_EQ(message_of([&] { write_file_atomically(onto_dir, "x"); }), onto_dir + ": Is a directory");
  EXPECT_EQ(names_in(t.path()), std::vector<std::string>{"dir"});  // the temporary file was removed
}

TEST(WriteAuditReportFiles, WritesJsonMarkdownAndHtmlCreatingTheDirectories) {
  TempTree t;
  const json r = audit_sample();
  const std::string out = t.path() + "/a/b/out";
  write_audit_report_files(r, out);
  EXPECT_EQ(names_in(out), (std::vector<std::string>{"report.html", "report.json", "report.md"}));
  EXPECT_EQ(json::parse(t.read("a/b/out/report.json")), r);
  EXPECT_EQ(t.read("a/b/out/report.json").substr(0, 4), "{\n  ");  // pretty, 2-space indent
  EXPECT_EQ(t.read("a/b/out/report.md"), render_audit_markdown(r));
  EXPECT_EQ(t.read("a/b/out/report.html").rfind("<!DOCTYPE html>", 0), 0u);
  struct stat st;
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  // Again into the same (now existing) directory: replaced, nothing left over.
  write_audit_report_files(r, out + "/");
  EXPECT_EQ(names_in(out).size(), 3u);
}

TEST(WriteAuditReportFiles, RefusesAnOutputPathThatIsNotADirectory) {
  TempTree t;
  t.write("file", "x");
  EXPECT_THROW(write_audit_report_files(audit_sample(), t.path() + "/file"), InputError);
  EXPECT_EQ(message_of([&] { write_audit_report_files(audit_sample(), t.path() + "/file/sub"); }),
            t.path() + "/file: exists and is not a directory");
  EXPECT_EQ(t.read("file"), "x");
}

TEST(LoadAuditReport, ReadsAReportAndRefusesAnythingElseNamingTheFile) {
  TempTree t;
  t.write("r.json", audit_sample().dump());
  EXPECT_EQ(load_audit_report(t.path() + "/r.json")["schema"], "tunectl.audit/1");
  t.write("bench.json", R"({"schema": "tunectl.bench/1"})");
  EXPECT_EQ(message_of([&] { load_audit_report(t.path() + "/bench.json"); }),
            t.path() + "/bench.json: not an audit report: has schema 'tunectl.bench/1', expected tunectl.audit/1");
  t.write("list.json", "[1]");
  EXPECT_EQ(message_of([&] { load_audit_report(t.path() + "/list.json"); }),
            t.path() + "/list.json: not an audit report: has schema none, expected tunectl.audit/1");
  t.write("bad.json", "{");
  EXPECT_EQ(message_of([&] { load_audit_report(t.path() + "/bad.json"); }).rfind(t.path() + "/bad.json: not JSON: ", 0),
            0u);
  EXPECT_EQ(message_of([&] { load_audit_report(t.path()); }), t.path() + ": not a regular file (directory)");
  t.fifo("fifo");
  EXPECT_TRUE(test::returns_promptly([&] { EXPECT_THROW(load_audit_report(t.path() + "/fifo"), InputError); },
                                     t.path() + "/fifo"));
  EXPECT_THROW(load_audit_report(t.path() + "/missing.json"), InputError);
}

}  // namespace
}  // namespace tunectl
