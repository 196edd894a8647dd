// `tunectl export --format sysctl.d`: the plan's sysctls as sysctl.d lines, everything else as
// "cannot be expressed" with the reason per knob kind.
#include "tuner/apply/export_native.h"

#include <algorithm>

#include "core/errors.h"
#include "core/host.h"
#include "tuner/plan/planner.h"
#include "tuner/profile/profile.h"

namespace tunectl {
namespace {

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
  return "not a sysctl";
}

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  return s;
}

std::string sysctl_d_text(const NativeExport& e, const std::vector<Excluded>& excluded) {
  std::string t = "# sysctl.d file written by `tunectl export --format sysctl.d`: profile " + e.profile + " (sha256 " +
                  e.digest + "),\n# planned on " + (e.root == "/" ? "the live host" : "tree " + e.root) + ".\n" +
                  "# Install as /etc/sysctl.d/90-tunectl-" + e.profile + ".conf; systemd-sysctl applies it at boot,\n" +
                  "# `sysctl -p FILE` now.\n";
  // sysctl.d has no trailing comments: what applies per network namespace is said before.
  std::string per_netns;
  for (const auto& s : e.settings)
    if (s.per_netns) per_netns += (per_netns.empty() ? "" : ", ") + s.key;
  if (!per_netns.empty())
    t += "# Per network namespace, so set here for the initial one only (containers get kernel defaults):\n#   " +
         per_netns + "\n";
  for (const auto& s : e.settings) t += s.key + " = " + s.value + "\n";
  if (e.settings.empty()) t += "# (the profile sets no sysctl on this host)\n";
  if (!e.not_expressible.empty()) {
    t += "#\n# Not expressible as sysctl.d (" + std::to_string(e.not_expressible.size()) +
         "); `tunectl apply -p " + e.profile + " --persist` applies these at boot:\n";
    for (const auto& n : e.not_expressible) t += "#   " + n.knob + " = " + n.value + ": " + n.reason + "\n";
  }
  if (!excluded.empty()) {
    t += "#\n# Left out on this host by the profile's conditions:\n";
    for (const auto& x : excluded) t += "#   " + x.item + ": " + one_line(x.reason) + "\n";
  }
  return t;
}

}  // namespace

const std::vector<std::string>& export_formats() {
  static const std::vector<std::string> formats = {"sysctl.d"};
  return formats;
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
  bool known = false;
  std::string names;
  for (const auto& f : export_formats()) {
    known = known || f == req.format;
    names += (names.empty() ? "" : ", ") + f;
  }
  if (!known) throw InputError("--format " + req.format + ": unknown export format (known: " + names + ")");
  const Profile profile = load_profile(req.profile, profile_search_dirs(req.profile_path));
  const Host host = host_for_root(req.root);
  const Plan plan = make_plan(host, plan_snapshot(host, plan_areas(profile)), profile);
  NativeExport e;
  e.format = req.format;
  e.profile = profile.name;
  e.digest = profile.digest;
  e.root = canonical_root(req.root);
  // What apply would leave on this host: the changes and what already holds, in plan order.
  std::vector<const Change*> all;
  for (const auto& c : plan.changes) all.push_back(&c);
  for (const auto& c : plan.already) all.push_back(&c);
  for (const auto* c : all) {
    const std::string kind = c->knob.substr(0, c->knob.find(':'));
    if (kind == "sysctl")
      e.settings.push_back({c->knob, c->knob.substr(7), one_line(c->value), c->per_netns});
    else
      e.not_expressible.push_back({c->knob, one_line(c->value), why_not_sysctl(kind)});
  }
  // Sorted: whether a sysctl already holds on this host must not move its line.
  std::sort(e.settings.begin(), e.settings.end(),
            [](const NativeSetting& a, const NativeSetting& b) { return a.key < b.key; });
  // A sysctl this kernel lacks would make `sysctl -p` fail: never written, listed with why.
  for (const auto& c : plan.skipped)
    e.not_expressible.push_back({c.knob, one_line(c.value), "not on this host: " + one_line(c.reason)});
  e.text = sysctl_d_text(e, plan.excluded);
  return e;
}

}  // namespace tunectl
