// `tunectl export --format udev`: a rules file for /etc/udev/rules.d/ that sets, whenever the
// device is added, what udev can set on a device: per-queue RPS/XPS masks and RFS flow counts as
// ATTR{} assignments of the network device, ethtool channels/rings/coalescing as RUN+= programs,
// and per-CPU cpufreq/cpuidle/epb files as ATTR{} assignments of the CPU device.
#include "tuner/apply/export_files.h"

namespace tunectl::export_files {
namespace {

const std::string kEthtool = "/usr/sbin/ethtool";

// A name udev would read as a pattern or a quote cannot be matched with KERNEL=="...".
bool plain_name(const std::string& s) { return s.find_first_of("*?[]|\"\\ ") == std::string::npos; }

void classify(const Host& host, const std::vector<const Change*>& changes, NativeExport& e) {
  for (const auto* c : changes) {
    const std::string kind = kind_of(c->knob), value = one_line(c->value);
    const bool net = kind == "rps" || kind == "xps" || kind == "rps_flow" || kind == "ethtool";
    const bool cpu = kind == "cpufreq" || kind == "cpuidle" || kind == "epb";
    if (!net && !cpu) {
      e.not_expressible.push_back({c->knob, value, elsewhere(kind)});
      continue;
    }
    if (net) {
      const std::string ifname = c->knob.substr(kind.size() + 1, c->knob.find(':', kind.size() + 1) - kind.size() - 1);
      if (!plain_name(ifname)) {
        e.not_expressible.push_back({c->knob, value, "interface name '" + ifname + "' has udev pattern characters"});
        continue;
      }
      if (kind == "ethtool") {
        const std::string cmd = ethtool_command(ifname, c->knob.substr(c->knob.rfind(':') + 1), value);
        if (cmd.empty()) e.not_expressible.push_back({c->knob, value, "no ethtool(8) option for it"});
        else e.settings.push_back({c->knob, cmd, value, false});
        continue;
      }
    }
    // Every file of the change, as apply writes it on this host (a cpulist: one CPU each).
    const auto files = files_written(host, *c);
    for (const auto& f : files.value_or(std::vector<FileWrite>{})) e.settings.push_back({c->knob, f.path, f.bytes, false});
  }
}

// "/sys/class/net/eth0/queues/rx-0/rps_cpus" -> {"eth0", "queues/rx-0/rps_cpus"};
// "/sys/devices/system/cpu/cpu3/cpufreq/scaling_governor" -> {"cpu3", "cpufreq/scaling_governor"}.
std::pair<std::string, std::string> device_and_attr(const std::string& path) {
  for (const std::string prefix : {"/sys/class/net/", "/sys/devices/system/cpu/"})
    if (path.rfind(prefix, 0) == 0) {
      const std::string rest = path.substr(prefix.size());
      const auto slash = rest.find('/');
      return {rest.substr(0, slash), rest.substr(slash + 1)};
    }
  return {"", path};
}

std::string rules(const NativeExport& e, bool net) {
  std::string t;
  for (const auto& s : e.settings) {
    const bool ethtool = kind_of(s.knob) == "ethtool";
    if (ethtool) {
      if (net) t += "SUBSYSTEM==\"net\", ACTION==\"add\", KERNEL==\"" + s.knob.substr(8, s.knob.rfind(':') - 8) +
                    "\", RUN+=\"" + s.key + "\"\n";
      continue;
    }
    if ((s.key.rfind("/sys/class/net/", 0) == 0) != net) continue;
    const auto [device, attr] = device_and_attr(s.key);
    t += std::string("SUBSYSTEM==\"") + (net ? "net" : "cpu") + "\", ACTION==\"add\", KERNEL==\"" + device +
         "\", ATTR{" + attr + "}=\"" + s.value + "\"\n";
  }
  return t;
}

std::string body(const NativeExport& e) {
  std::string t = header(e) +
                  "# Install as /etc/udev/rules.d/90-tunectl-" + e.profile + ".rules. udev applies a rule each time its\n" +
                  "# device is added: at boot (coldplug), on a driver reload, a CPU brought online; to apply it now:\n" +
                  "#   udevadm trigger --action=add --subsystem-match=net --subsystem-match=cpu\n" +
                  "# KERNEL== is the kernel's name at the add event: for an interface udev renames, match NAME== instead.\n";
  const std::string net = rules(e, true), cpu = rules(e, false);
  if (!net.empty())
    t += "#\n# Network devices. RUN+= programs run after the rule's ATTR{} assignments, once per add event;\n"
         "# queues that an ethtool channel change creates get no ATTR{} from that event.\n" + net;
  if (!cpu.empty())
    t += "#\n# CPUs. cpufreq/ exists at the add event only with a built-in cpufreq driver (intel_pstate,\n"
         "# amd-pstate); a modular one (acpi-cpufreq) is loaded by that event, after these assignments.\n" + cpu;
  if (net.empty() && cpu.empty()) t += "# (the profile sets nothing udev can set on this host)\n";
  return t;
}

}  // namespace

// ethtool(8) words: -L/-G/-C, the field with dashes, flags as on/off.
std::string ethtool_command(const std::string& ifname, const std::string& setting, const std::string& value) {
  const auto dot = setting.find('.');
  const std::string group = setting.substr(0, dot), field = dot == std::string::npos ? "" : setting.substr(dot + 1);
  const char* opt = group == "channels" ? "-L" : group == "rings" ? "-G" : group == "coalesce" ? "-C" : nullptr;
  if (!opt || field.empty()) return "";
  std::string word = field;
  for (char& ch : word)
    if (ch == '_') ch = '-';
  std::string v = value;
  if (field == "adaptive_rx" || field == "adaptive_tx" || field == "tx_push" || field == "rx_push")
    v = value == "1" ? "on" : value == "0" ? "off" : value;
  return kEthtool + " " + opt + " " + ifname + " " + word + " " + v;
}

Format udev_format() { return {"udev", classify, body}; }

}  // namespace tunectl::export_files
