// libFuzzer target: every kernel-text parser must take any bytes without crashing, and what
// parses must round-trip through the canonical formatters. An input "<area>\n<file 1>\0<file 2>..."
// also runs a whole probe area: the segments become that area's kernel files (ProbeArea::
// kernel_files, in order; later files stay absent) in a scratch host tree, which the area probes,
// turns into JSON and back, and prints as its `tunectl probe` section.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/parse.h"
#include "probes/probe_area.h"

namespace {
namespace fs = std::filesystem;

// One instance of a kernel file pattern: <N> -> 0, <IF> -> eth0, <CG> -> work.slice.
std::string instance(std::string path) {
  for (const auto& [var, value] : {std::pair<std::string, std::string>{"<N>", "0"}, {"<IF>", "eth0"},
                                   {"<CG>", "work.slice"}})
    for (size_t at; (at = path.find(var)) != std::string::npos;) path.replace(at, var.size(), value);
  return path;
}

// A scratch host tree for one input, removed afterwards; in memory (/dev/shm) when there is one.
class ScratchTree {
 public:
  ScratchTree() {
    std::string tmpl = (fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp") + std::string("/fuzz_parsers.XXXXXX");
    if (!mkdtemp(tmpl.data())) std::abort();
    root_ = tmpl;
  }
  ~ScratchTree() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  ScratchTree(const ScratchTree&) = delete;
  ScratchTree& operator=(const ScratchTree&) = delete;
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

void fuzz_parsers(const std::string& text) {
  using namespace tunectl;
  if (auto p = parse_cpulist(text); p.ok()) {
    auto again = parse_cpulist(format_cpulist(*p.value));
    if (!again.ok() || *again.value != *p.value) std::abort();
  }
  if (auto p = parse_hex_mask(text); p.ok()) {
    auto again = parse_hex_mask(format_hex_mask(*p.value, 1));
    if (!again.ok() || *again.value != *p.value) std::abort();
  }
  (void)parse_bracketed(text);
  (void)parse_key_values(text);
  (void)parse_meminfo(text);
  (void)parse_netstat(text);
  (void)parse_sockstat(text);
  (void)parse_interrupts(text);
}

void fuzz_area(const std::string& text) {
  using namespace tunectl;
  const size_t newline = text.find('\n');
  if (newline == std::string::npos) return;
  const ProbeArea* area = find_probe_area(text.substr(0, newline));
  if (!area) return;

  const ScratchTree tree;
  const fs::path& root = tree.root();
  std::error_code ec;
  size_t pos = newline + 1;
  for (const auto& pattern : area->kernel_files) {
    if (pos > text.size()) break;
    size_t end = text.find('\0', pos);
    if (end == std::string::npos) end = text.size();
    const fs::path file = root / instance(pattern).substr(1);
    fs::create_directories(file.parent_path(), ec);
    std::ofstream(file, std::ios::binary) << text.substr(pos, end - pos);
    pos = end + 1;
  }

  Snapshot snap;
  try {
    area->probe(Host(root.string()), snap, snap.errors[area->name], [] {});  // alone: no inputs to await
  } catch (const std::exception&) {
    return;  // the area is unavailable on this tree: a clean refusal
  }
  if (!area->present(snap)) std::abort();  // a probe that returns fills its member
  json j;
  area->to_json(j, snap);
  Snapshot back;
  area->from_json(j, back);
  json again;
  area->to_json(again, back);
  if (again != j) std::abort();
  std::ostringstream table;
  area->print_table(table, snap);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz_parsers(text);
  fuzz_area(text);
  return 0;
}
