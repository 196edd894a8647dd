// Recording and checking what knobs belonged to (knob_identity.h).
#include "tuner/apply/knob_identity.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <vector>

#include "core/errors.h"
#include "core/parse.h"
#include "tuner/apply/command_hint.h"

namespace tunectl {
namespace {

constexpr const char* kBootId = "/proc/sys/kernel/random/boot_id";

struct Netns {
  uint64_t dev = 0, ino = 0;
  bool operator==(const Netns& o) const { return dev == o.dev && ino == o.ino; }
};

// The namespace behind a path (/proc/self/ns/net, /run/netns/NAME): nsfs's device and inode.
std::optional<Netns> netns_at(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return Netns{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

std::optional<Netns> netns_from(const json& identity) {
  if (!identity.is_object() || !identity.contains("netns")) return std::nullopt;
  const json& n = identity["netns"];
  return Netns{n.at("dev").get<uint64_t>(), n.at("ino").get<uint64_t>()};
}

std::string netns_label(const Netns& n) { return "net:[" + std::to_string(n.ino) + "]"; }

std::vector<std::string> dir_names(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') out.push_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

// How to run a command inside `want`: a name `ip netns` knows (/run/netns), else a process that
// is in it; "" when neither exists (the namespace is gone, and its settings with it).
std::string how_to_enter(const Netns& want) {
  for (const auto& name : dir_names("/run/netns"))
    if (netns_at("/run/netns/" + name) == want) return "ip netns exec " + name + " tunectl rollback ...";
  for (const auto& pid : dir_names("/proc")) {
    if (!std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
    if (netns_at("/proc/" + pid + "/ns/net") == want)
      return "nsenter --net=/proc/" + pid + "/ns/net tunectl rollback ...";
  }
  return "";
}

std::string irq_label(const json& irq) {
  return "'" + irq.value("actions", "") + "' on " + irq.value("chip", "");
}

// The recorded identity of one knob against what is there now; "" when it still matches.
std::string mismatch(const std::string& address, const json& was, const json& now) {
  if (was.contains("irq")) {
    const json& w = was["irq"];
    const std::string n = std::to_string(w.value("number", -1));
    if (!now.is_object() || !now.contains("irq"))
      return address + ": IRQ " + n + " was " + irq_label(w) + " at apply, now it does not exist";
    const json& c = now["irq"];
    if (c.value("actions", "") == w.value("actions", "") && c.value("chip", "") == w.value("chip", "")) return "";
    return address + ": IRQ " + n + " was " + irq_label(w) + " at apply, now it is " + irq_label(c);
  }
  if (was.contains("interface")) {
    const json& w = was["interface"];
    if (!w.contains("ifindex")) return "";  // not readable at apply: nothing to compare
    const std::string name = w.value("name", ""), index = std::to_string(w.value("ifindex", 0));
    if (!now.is_object() || !now.contains("interface") || !now["interface"].contains("ifindex"))
      return address + ": interface " + name + " (ifindex " + index + " at apply) no longer exists";
    const std::string cur = std::to_string(now["interface"].value("ifindex", 0));
    if (cur == index) return "";
    return address + ": interface " + name + " had ifindex " + index + " at apply, now " + cur + " (another device)";
  }
  return "";
}

}  // namespace

json host_identity(const Host& host) {
  json id = json::object();
  if (auto boot = host.read_trimmed(kBootId); boot && !boot->empty()) id["boot_id"] = *boot;
  if (host.is_live())
    if (auto ns = netns_at("/proc/self/ns/net")) id["netns"] = {{"dev", ns->dev}, {"ino", ns->ino}};
  return id;
}

bool netns_bound(const Knob& knob) { return knob.per_netns() || knob.interface().has_value(); }

json IdentityReader::of(const Knob& knob) {
  if (auto n = knob.irq()) {
    if (!irqs_) {
      irqs_.emplace();
      ProbeErrors ignored;  // a missing field only leaves that IRQ's identity empty
      try {
        for (auto& i : probe_irqs(host_, ignored).irqs) irqs_->emplace(i.irq, std::move(i));
      } catch (const Error&) {
        // no /proc/interrupts: no IRQ identity to record or to match
      }
    }
    const auto it = irqs_->find(*n);
    if (it == irqs_->end()) return nullptr;
    return {{"irq", {{"number", *n}, {"actions", it->second.name}, {"chip", it->second.chip}}}};
  }
  if (auto name = knob.interface()) {
    json iface = {{"name", *name}};
    if (auto text = host_.read_trimmed("/sys/class/net/" + *name + "/ifindex"))
      if (auto index = parse_int(*text)) iface["ifindex"] = *index;
    return {{"interface", iface}};
  }
  return nullptr;
}

std::optional<std::string> check_rollback(const Host& host, const JournalRecord& rec, bool force) {
  const json& was = rec.header.identity;
  const json now = host_identity(host);
  const std::string tx = "transaction " + rec.header.id;
  if (was.is_object() && was.contains("boot_id") && now.contains("boot_id") && was["boot_id"] != now["boot_id"] &&
      !force)
    return "the host rebooted since " + tx + " was applied (boot id " + was["boot_id"].get<std::string>() + ", now " +
           now["boot_id"].get<std::string>() + "): the reboot reset the runtime settings it changed, so its previous "
           "values are stale; nothing written, the record is closed (`--force` writes them anyway)";

  std::vector<std::pair<const JournalKnob*, std::unique_ptr<Knob>>> knobs;  // the ones a rollback writes
  for (size_t i : rec.attempted())
    if (i < rec.header.knobs.size()) knobs.emplace_back(&rec.header.knobs[i], make_knob(rec.header.knobs[i].knob));

  const auto recorded_ns = netns_from(was), current_ns = netns_from(now);
  if (host.is_live() && recorded_ns && current_ns && !(*recorded_ns == *current_ns)) {
    std::string bound;
    for (const auto& [k, knob] : knobs)
      if (netns_bound(*knob)) bound += (bound.empty() ? "" : ", ") + k->knob;
    if (!bound.empty()) {
      const std::string enter = how_to_enter(*recorded_ns);
      throw TransactionError(
          tx + " changed knobs of network namespace " + netns_label(*recorded_ns) + " (" + bound + "), this is " +
          netns_label(*current_ns) + "; nothing written: " +
          (enter.empty() ? "no named namespace or process holds it any more, so its settings went with it"
                         : "run the same rollback there: " + enter));
    }
  }
  if (force) return std::nullopt;

  IdentityReader reader(host);
  std::string bad;
  for (const auto& [k, knob] : knobs) {
    if (!k->identity.is_object()) continue;  // older record, or a knob bound to no device
    const std::string m = mismatch(k->knob, k->identity, reader.of(*knob));
    if (!m.empty()) bad += (bad.empty() ? "" : "; ") + m;
  }
  if (!bad.empty())
    throw TransactionError(tx + " no longer matches this host: " + bad +
                           "; nothing written (`" +
                           tunectl_command({"rollback", "--force"}, rec.header.root,
                                           std::filesystem::path(rec.path).parent_path().parent_path().string()) +
                           "` restores the recorded values anyway)");
  return std::nullopt;
}

}  // namespace tunectl
