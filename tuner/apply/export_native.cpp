// `tunectl export`: plans the profile on the host and hands the changes to the format. sysctl.d
// lives here (the plan's sysctls as lines, everything else "cannot be expressed" with the reason
// per knob kind); udev and tmpfiles.d in export_udev.cpp and export_tmpfiles.cpp.
#include "tuner/apply/export_native.h"

#include <algorithm>

#include "core/errors.h"
#include "core/host.h"
#include "tuner/apply/export_files.h"
#include "tuner/knobs/knob.h"
#include "tuner/plan/planner.h"
#include "tuner/profile/profile.h"

namespace tunectl {
namespace {
using namespace export_files;

// Why a knob kind has no sysctl.d form (the address prefix before ':').
std::string why_not_sysctl(const std::string& kind) {
  if (kind == "thp") return "a sysfs file (/sys/kernel/mm/transparent_hugepage), not a sysctl";
  if (kind == "irq") return "IRQ affinity (/proc/irq/N), not a sysctl; IRQ numbers can change between boots";
  if (kind == "rps" || kind == "rps_flow" || kind == "xps")
    return "a per-queue sysfs attribute of a network device, not a sysctl";
  if (kind == "ethtool") return "a NIC setting made through ethtool's netlink interface; no file holds it";
  if (kind == "cgroup" || kind == "cgroup_dir") return "a cgroup file; cgroups are created at run time";
  if (kind == "cpufreq" || kind == "pstate" || kind == "cpuidle" || kind == "epb")
    return "a per-CPU sysfs file, not a sysctl";
  if (kind == "boot") return "a kernel command-line parameter: only the boot loader's configuration holds it";
  return "not a sysctl";
}

void classify_sysctl_d(const Host&, const std::vector<const Change*>& changes, NativeExport& e) {
  for (const auto* c : changes) {
    const std::string kind = kind_of(c->knob);
    if (kind == "sysctl")
      e.settings.push_back({c->knob, c->knob.substr(7), one_line(c->value), c->per_netns});
    else
      e.not_expressible.push_back({c->knob, one_line(c->value), why_not_sysctl(kind)});
  }
  // Sorted: whether a sysctl already holds on this host must not move its line.
  std::sort(e.settings.begin(), e.settings.end(),
            [](const NativeSetting& a, const NativeSetting& b) { return a.key < b.key; });
}

std::string sysctl_d_body(const NativeExport& e) {
  std::string t = header(e) + "# Install as /etc/sysctl.d/90-tunectl-" + e.profile +
                  ".conf; systemd-sysctl applies it at boot,\n" + "# `sysctl -p FILE` now.\n";
  // sysctl.d has no trailing comments: what applies per network namespace is said before.
  std::string per_netns;
  for (const auto& s : e.settings)
    if (s.per_netns) per_netns += (per_netns.empty() ? "" : ", ") + s.key;
  if (!per_netns.empty())
    t += "# Per network namespace, so set here for the initial one only (containers get kernel defaults):\n#   " +
         per_netns + "\n";
  for (const auto& s : e.settings) t += s.key + " = " + s.value + "\n";
  if (e.settings.empty()) t += "# (the profile sets no sysctl on this host)\n";
  return t;
}

const std::vector<Format>& formats() {
  static const std::vector<Format> all = {{"sysctl.d", classify_sysctl_d, sysctl_d_body}, udev_format(),
                                          tmpfiles_format()};
  return all;
}

}  // namespace

const std::vector<std::string>& export_formats() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& f : formats()) out.push_back(f.name);
    return out;
  }();
  return names;
}

void to_json(json& j, const NativeExport& e) {
  json settings = json::array(), missing = json::array();
  for (const auto& s : e.settings)
    settings.push_back({{"knob", s.knob}, {"key", s.key}, {"value", s.value}, {"per_netns", s.per_netns}});
  for (const auto& n : e.not_expressible)
    missing.push_back({{"knob", n.knob}, {"value", n.value}, {"reason", n.reason}});
  j = {{"schema", "tunectl.export/1"}, {"format", e.format},     {"profile", e.profile},
       {"digest", e.digest},           {"root", e.root},         {"text", e.text},
       {"settings", settings},         {"not_expressible", missing}};
}

NativeExport export_native(const ExportRequest& req) {
  const Format* format = nullptr;
  std::string names;
  for (const auto& f : formats()) {
    if (f.name == req.format) format = &f;
    names += (names.empty() ? "" : ", ") + f.name;
  }
  if (!format) throw InputError("--format " + req.format + ": unknown export format (known: " + names + ")");
  const Profile profile = load_profile(req.profile, profile_search_dirs(req.profile_path));
  const Host host = host_for_root(req.root);
  const Plan plan = make_plan(host, plan_snapshot(host, plan_areas(profile)), profile);
  NativeExport e;
  e.format = req.format;
  e.profile = profile.name;
  e.digest = profile.digest;
  e.root = canonical_root(req.root);
  // What apply would leave on this host: the changes and what already holds, in apply order (the
  // planner's key: phase, order in phase, address), so a line does not move when it already holds.
  std::vector<const Change*> all;
  for (const auto& c : plan.changes) all.push_back(&c);
  for (const auto& c : plan.already) all.push_back(&c);
  auto key = [](const Change* c) {
    return std::make_pair(static_cast<int>(knob_kind_of(c->knob).phase), make_knob(c->knob)->order_in_phase());
  };
  std::stable_sort(all.begin(), all.end(), [&](const Change* a, const Change* b) {
    const auto ka = key(a), kb = key(b);
    return ka != kb ? ka < kb : natural_less(a->knob, b->knob);
  });
  format->classify(host, all, e);
  // A knob this host lacks would make the file fail (`sysctl -p`, a udev or tmpfiles write):
  // never written, listed with why.
  for (const auto& c : plan.skipped)
    e.not_expressible.push_back({c.knob, one_line(c.value), "not on this host: " + one_line(c.reason)});
  e.text = format->body(e) + tail(e, plan.excluded);
  return e;
}

}  // namespace tunectl
