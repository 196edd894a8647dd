// `tunectl export --format tmpfiles.d`: systemd-tmpfiles `w` lines (write the argument to the
// file if it exists, no newline added) for the kernel files present at early boot: THP, the
// intel_pstate files and the per-CPU cpufreq/cpuidle/epb files.
#include "tuner/apply/export_files.h"

namespace tunectl::export_files {
namespace {

// tmpfiles.d(5): the argument undergoes specifier expansion (% -> %%) and C-style unescaping;
// a leading space would be dropped. Kernel file values are words and numbers, but say it right.
std::string argument(const std::string& v) {
  std::string out;
  for (char ch : v) {
    if (ch == '%') out += "%%";
    else if (ch == '\\') out += "\\\\";
    else if (ch == ' ' && out.empty()) out += "\\x20";
    else if (ch == '\n') out += "\\n";
    else out += ch;
  }
  return out;
}

std::string why_not(const std::string& kind) {
  if (kind == "rps" || kind == "rps_flow" || kind == "xps")
    return "a per-queue attribute of a network device, whose driver often binds after systemd-tmpfiles-setup "
           "runs: --format udev";
  return elsewhere(kind);
}

void classify(const Host& host, const std::vector<const Change*>& changes, NativeExport& e) {
  for (const auto* c : changes) {
    const std::string kind = kind_of(c->knob);
    const bool early = kind == "thp" || kind == "pstate" || kind == "cpufreq" || kind == "cpuidle" || kind == "epb";
    auto files = early ? files_written(host, *c) : std::nullopt;
    if (!files) {
      e.not_expressible.push_back({c->knob, one_line(c->value), why_not(kind)});
      continue;
    }
    for (const auto& f : *files) e.settings.push_back({c->knob, f.path, f.bytes, false});
  }
}

std::string body(const NativeExport& e) {
  std::string t = header(e) +
                  "# Install as /etc/tmpfiles.d/90-tunectl-" + e.profile + ".conf; systemd-tmpfiles-setup.service writes\n" +
                  "# it at boot (`systemd-tmpfiles --create FILE` now). It runs early, before most drivers loaded\n" +
                  "# by udev: a `w` line whose file does not exist yet is skipped, so only files of built-in drivers\n" +
                  "# (THP, intel_pstate/amd-pstate, intel_idle) are sure to be set; use --format udev for the others.\n";
  for (const auto& s : e.settings) t += "w " + s.key + " - - - - " + argument(s.value) + "\n";
  if (e.settings.empty()) t += "# (the profile sets no early-boot kernel file on this host)\n";
  return t;
}

}  // namespace

Format tmpfiles_format() { return {"tmpfiles.d", classify, body}; }

}  // namespace tunectl::export_files
