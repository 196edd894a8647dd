#include "probes/irq.h"

#include <algorithm>
#include <cerrno>

#include "core/errors.h"
#include "core/parse.h"

namespace tunectl {
namespace {

// Where the per-IRQ descriptor facts (name, chip, hwirq, type, counts) come from.
struct Descriptor {
  int irq = 0;
  std::string name, chip;
  std::optional<std::string> hwirq, type;
  std::vector<uint64_t> counts;  // already in count_cpus column order
};

// A file that may legitimately be absent on older kernels: ENOENT is silent, anything else is
// reported. Returns the trimmed contents.
std::optional<std::string> read_optional(const Host& host, const std::string& path, ProbeErrors& errors) {
  ReadResult r = host.read(path);
  if (r.ok) return trim(r.data);
  if (r.err != ENOENT) errors.push_back(r.error);
  return std::nullopt;
}

// Canonical cpulist from a "_list" file, or from the hex-mask file when the list is missing.
std::optional<std::string> read_cpus(const Host& host, const std::string& list_path,
                                     const std::string& mask_path, ProbeErrors& errors) {
  if (auto text = read_optional(host, list_path, errors)) {
    auto p = parse_cpulist(*text);
    if (p.ok()) return format_cpulist(*p.value);
    errors.push_back(list_path + ": " + p.error);
    return std::nullopt;
  }
  if (mask_path.empty()) return std::nullopt;
  if (auto text = read_optional(host, mask_path, errors)) {
    auto p = parse_hex_mask(*text);
    if (p.ok()) return format_cpulist(*p.value);
    errors.push_back(mask_path + ": " + p.error);
  }
  return std::nullopt;
}

std::optional<std::string> read_mask(const Host& host, const std::string& path, ProbeErrors& errors) {
  auto text = read_optional(host, path, errors);
  if (!text) return std::nullopt;
  auto p = parse_hex_mask(*text);
  if (p.ok()) return format_cpulist(*p.value);
  errors.push_back(path + ": " + p.error);
  return std::nullopt;
}

std::optional<CpuSet> read_cpulist_file(const Host& host, const std::string& path) {
  auto text = host.read_trimmed(path);
  if (!text) return std::nullopt;
  auto p = parse_cpulist(*text);
  return p.ok() ? p.value : std::nullopt;
}

// /sys/kernel/irq/N (kernels with SPARSE_IRQ, 4.17+). per_cpu_count has one entry per possible
// CPU; columns are the online CPUs, like /proc/interrupts, so counts are picked by CPU number.
std::vector<Descriptor> read_sysfs_descriptors(const Host& host, const std::vector<std::string>& dirs,
                                               std::vector<int>& count_cpus, ProbeErrors& errors) {
  const auto possible = read_cpulist_file(host, "/sys/devices/system/cpu/possible");
  const auto online = read_cpulist_file(host, "/sys/devices/system/cpu/online");
  std::vector<Descriptor> out;
  out.reserve(dirs.size());
  // index_of[k] = position of count_cpus[k] in per_cpu_count; computed once from the first IRQ.
  std::vector<size_t> index_of;
  bool columns_known = false;
  for (const auto& d : dirs) {
    auto n = parse_int(d);
    if (!n || *n < 0) continue;
    const std::string base = "/sys/kernel/irq/" + d;
    Descriptor desc;
    desc.irq = static_cast<int>(*n);
    desc.name = read_optional(host, base + "/actions", errors).value_or("");
    desc.chip = read_optional(host, base + "/chip_name", errors).value_or("");
    desc.hwirq = read_optional(host, base + "/hwirq", errors);
    desc.type = read_optional(host, base + "/type", errors);
    std::vector<uint64_t> per_cpu;
    bool counts_ok = false;
    if (auto text = read_optional(host, base + "/per_cpu_count", errors)) {
      counts_ok = true;
      size_t pos = 0;
      while (pos <= text->size()) {
        size_t comma = text->find(',', pos);
        if (comma == std::string::npos) comma = text->size();
        auto v = parse_int(text->substr(pos, comma - pos));
        if (!v || *v < 0) {
          errors.push_back(base + "/per_cpu_count: bad count '" + text->substr(pos, comma - pos) + "'");
          counts_ok = false;
          break;
        }
        per_cpu.push_back(static_cast<uint64_t>(*v));
        pos = comma + 1;
      }
    }
    if (counts_ok && !columns_known) {
      columns_known = true;
      // possible CPUs name the entries; without a matching list, entry i is CPU i.
      std::vector<int> entry_cpu;
      if (possible && possible->size() == per_cpu.size())
        entry_cpu = *possible;
      else
        for (size_t i = 0; i < per_cpu.size(); ++i) entry_cpu.push_back(static_cast<int>(i));
      for (size_t i = 0; i < entry_cpu.size(); ++i) {
        bool is_online = !online || std::binary_search(online->begin(), online->end(), entry_cpu[i]);
        if (!is_online) continue;
        count_cpus.push_back(entry_cpu[i]);
        index_of.push_back(i);
      }
    }
    if (counts_ok) {
      const size_t needed = index_of.empty() ? 0 : index_of.back() + 1;
      if (per_cpu.size() < needed) {
        errors.push_back(base + "/per_cpu_count: " + std::to_string(per_cpu.size()) + " entries, expected " +
                         std::to_string(needed));
      } else {
        desc.counts.reserve(index_of.size());
        for (size_t i : index_of) desc.counts.push_back(per_cpu[i]);
      }
    }
    // /proc/interrupts lists only IRQs with a handler or with counts; do the same.
    bool any = false;
    for (auto c : desc.counts) any = any || c != 0;
    if (desc.name.empty() && !any) continue;
    out.push_back(std::move(desc));
  }
  return out;
}

// Older kernels: everything from one read of /proc/interrupts.
std::vector<Descriptor> read_proc_interrupts(const Host& host, std::vector<int>& count_cpus, ProbeErrors& errors) {
  ReadResult r = host.read("/proc/interrupts");
  if (!r.ok) throw Error(r.error);
  auto parsed = parse_interrupts(r.data);
  if (!parsed.ok()) throw Error(parsed.error);
  count_cpus = parsed.value->cpus;
  for (const auto& bad : parsed.value->bad) errors.push_back("/proc/interrupts: unparsable row '" + trim(bad) + "'");
  std::vector<Descriptor> out;
  for (auto& row : parsed.value->rows) {
    if (!row.irq) continue;  // arch rows (NMI, LOC, ...) are not IRQs
    Descriptor d;
    d.irq = *row.irq;
    d.name = row.actions;
    d.chip = row.chip;
    if (!row.hwirq.empty()) d.hwirq = row.hwirq;
    if (!row.trigger.empty()) d.type = row.trigger;
    d.counts = std::move(row.counts);
    out.push_back(std::move(d));
  }
  return out;
}

// The kernel refuses affinity changes for managed IRQs; procfs shows that as a 0444 smp_affinity,
// and debugfs (when mounted) names the state outright.
void detect_managed(const Host& host, bool have_debugfs, IrqInfo& info) {
  const std::string n = std::to_string(info.irq);
  const std::string aff = "/proc/irq/" + n + "/smp_affinity";
  if (host.is_read_only(aff)) {  // false when missing
    info.managed = true;
    info.managed_reason = "smp_affinity is read-only (kernel-managed affinity)";
  }
  if (!have_debugfs) return;
  if (auto text = host.read_trimmed("/sys/kernel/debug/irq/irqs/" + n);
      text && text->find("AFFINITY_MANAGED") != std::string::npos) {
    info.managed = true;
    info.managed_reason = "debugfs: IRQD_AFFINITY_MANAGED";
  }
}

}  // namespace

Irqs probe_irqs(const Host& host, ProbeErrors& errors) {
  Irqs out;
  out.default_affinity = read_mask(host, "/proc/irq/default_smp_affinity", errors);

  const auto sys_dirs = host.list("/sys/kernel/irq");
  std::vector<Descriptor> descs = sys_dirs.empty() ? read_proc_interrupts(host, out.count_cpus, errors)
                                                   : read_sysfs_descriptors(host, sys_dirs, out.count_cpus, errors);
  const bool have_debugfs = host.is_dir("/sys/kernel/debug/irq/irqs");

  out.irqs.reserve(descs.size());
  for (auto& d : descs) {
    IrqInfo info;
    info.irq = d.irq;
    info.name = std::move(d.name);
    info.chip = std::move(d.chip);
    info.hwirq = std::move(d.hwirq);
    info.type = std::move(d.type);
    info.counts = std::move(d.counts);
    const std::string base = "/proc/irq/" + std::to_string(d.irq);
    if (host.is_dir(base)) {
      info.affinity = read_cpus(host, base + "/smp_affinity_list", base + "/smp_affinity", errors);
      info.effective_affinity =
          read_cpus(host, base + "/effective_affinity_list", base + "/effective_affinity", errors);
      info.affinity_hint = read_mask(host, base + "/affinity_hint", errors);
      if (auto node = read_optional(host, base + "/node", errors)) {
        if (auto v = parse_int(*node)) {
          if (*v >= 0) info.node = static_cast<int>(*v);  // -1: no node
        } else {
          errors.push_back(base + "/node: not a number '" + *node + "'");
        }
      }
    }
    detect_managed(host, have_debugfs, info);
    out.irqs.push_back(std::move(info));
  }
  return out;
}

}  // namespace tunectl
