#include "probes/irq.h"

#include <algorithm>
#include <cerrno>

#include "core/errors.h"
#include "core/host_dir.h"
#include "core/parallel_chunks.h"
#include "core/parse.h"
#include "core/read_field.h"

namespace tunectl {
namespace {

// Where the per-IRQ descriptor facts (name, chip, hwirq, type, counts) come from.
struct Descriptor {
  int irq = 0;
  std::string name, chip;
  std::optional<std::string> hwirq, type;
  CpuCounts counts;  // already in count_cpus column order
};

// Canonical cpulist from a "_list" file, or from the hex-mask file on kernels without the list.
std::optional<std::string> read_cpus(const HostDir& dir, const std::string& list, const std::string& mask,
                                     ProbeErrors& errors) {
  auto cpus = read_cpulist_field(dir, list, errors, Presence::kOptional);
  if (!cpus && !dir.exists(list)) cpus = read_hex_mask_field(dir, mask, errors, Presence::kOptional);
  if (!cpus) return std::nullopt;
  return format_cpulist(*cpus);
}

std::optional<std::string> read_mask(const HostDir& dir, const std::string& name, ProbeErrors& errors) {
  auto cpus = read_hex_mask_field(dir, name, errors, Presence::kOptional);
  if (!cpus) return std::nullopt;
  return format_cpulist(*cpus);
}

// per_cpu_count ("0,12,3\n") into `out` (reused: no allocation per IRQ once it has grown). False
// at anything but decimal digits between commas; the caller then takes the slow path for its message.
bool parse_count_list(const std::string& text, std::vector<uint64_t>& out) {
  out.clear();
  size_t end = text.size();
  while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == ' ')) --end;
  uint64_t v = 0;
  size_t digits = 0;
  for (size_t i = 0; i <= end; ++i) {
    const char c = i < end ? text[i] : ',';
    if (c >= '0' && c <= '9') {
      if (++digits > 18) return false;  // near int64's limit: parse_int decides
      v = v * 10 + static_cast<uint64_t>(c - '0');
    } else if (c == ',' && digits > 0) {
      out.push_back(v);
      v = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return true;
}

// The possible/online CPU lists only name per_cpu_count's entries here: the topology area reports
// their problems, so they are not this area's errors.
std::optional<CpuSet> cpu_list_hint(const Host& host, const std::string& path) {
  ProbeErrors not_ours;
  return read_cpulist_field(host, path, not_ours, Presence::kOptional);
}

// A chunk's reads of many IRQs reuse one buffer for per_cpu_count and one for its numbers.
struct Scratch {
  std::vector<uint64_t> per_cpu;
  ReadResult count_file;
};

// Which per_cpu_count entries become count columns: fixed by the first IRQ whose counts parse.
struct CountColumns {
  bool known = false;
  std::vector<int> cpus;         // Irqs::count_cpus
  std::vector<size_t> index_of;  // index_of[k] = position of cpus[k] in per_cpu_count
};

// /sys/kernel/irq/N (kernels with SPARSE_IRQ, 4.17+). per_cpu_count has one entry per possible
// CPU; columns are the online CPUs, like /proc/interrupts, so counts are picked by CPU number.
class SysfsDescriptors {
 public:
  explicit SysfsDescriptors(const Host& host)
      : sys_irq_(host.open_dir("/sys/kernel/irq")),
        possible_(cpu_list_hint(host, "/sys/devices/system/cpu/possible")),
        online_(cpu_list_hint(host, "/sys/devices/system/cpu/online")) {}

  bool columns_known() const { return columns_.known; }
  std::vector<int>& count_cpus() { return columns_.cpus; }

  // IRQ directory `d`; nullopt when it is not an IRQ or /proc/interrupts would not list it. Fixes
  // the columns at the first IRQ whose counts parse: until then calls must not run concurrently.
  std::optional<Descriptor> read(const std::string& d, Scratch& scratch, ProbeErrors& errors) {
    auto n = parse_int(d);
    if (!n || *n < 0) return std::nullopt;
    const HostDir dir = sys_irq_.dir(d);
    Descriptor desc;
    desc.irq = static_cast<int>(*n);
    desc.name = read_field(dir, "actions", errors, Presence::kOptional).value_or("");
    desc.chip = read_field(dir, "chip_name", errors, Presence::kOptional).value_or("");
    desc.hwirq = read_field(dir, "hwirq", errors, Presence::kOptional);
    desc.type = read_field(dir, "type", errors, Presence::kOptional);
    if (read_counts(dir, scratch, errors)) {
      if (!columns_.known) fix_columns(scratch.per_cpu.size());
      const std::vector<size_t>& index_of = columns_.index_of;
      const size_t needed = index_of.empty() ? 0 : index_of.back() + 1;
      if (scratch.per_cpu.size() < needed) {
        errors.push_back(dir.full("per_cpu_count") + ": " + std::to_string(scratch.per_cpu.size()) +
                         " entries, expected " + std::to_string(needed));
      } else {
        desc.counts.columns = index_of.size();
        for (size_t k = 0; k < index_of.size(); ++k)
          if (const uint64_t c = scratch.per_cpu[index_of[k]])
            desc.counts.nonzero.push_back({static_cast<uint32_t>(k), c});
      }
    }
    // /proc/interrupts lists only IRQs with a handler or with counts; do the same.
    if (desc.name.empty() && desc.counts.nonzero.empty()) return std::nullopt;
    return desc;
  }

 private:
  // per_cpu_count into scratch.per_cpu; false when missing or bad (a bad one is an error).
  static bool read_counts(const HostDir& dir, Scratch& scratch, ProbeErrors& errors) {
    dir.read("per_cpu_count", scratch.count_file);
    const ReadResult& file = scratch.count_file;
    if (!file.ok) {
      if (file.err != ENOENT) errors.push_back(file.error);
      return false;
    }
    if (parse_count_list(file.data, scratch.per_cpu)) return true;
    // What the fast parse refused, parsed the careful way to say exactly what is wrong.
    const std::string text = trim(file.data);
    scratch.per_cpu.clear();
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t comma = text.find(',', pos);
      if (comma == std::string::npos) comma = text.size();
      auto v = parse_int(text.substr(pos, comma - pos));
      if (!v || *v < 0) {
        errors.push_back(dir.full("per_cpu_count") + ": bad count '" + text.substr(pos, comma - pos) + "'");
        return false;
      }
      scratch.per_cpu.push_back(static_cast<uint64_t>(*v));
      pos = comma + 1;
    }
    return true;
  }

  // possible CPUs name the entries; without a matching list, entry i is CPU i.
  void fix_columns(size_t entries) {
    columns_.known = true;
    std::vector<int> entry_cpu;
    if (possible_ && possible_->size() == entries)
      entry_cpu = *possible_;
    else
      for (size_t i = 0; i < entries; ++i) entry_cpu.push_back(static_cast<int>(i));
    for (size_t i = 0; i < entry_cpu.size(); ++i) {
      if (online_ && !std::binary_search(online_->begin(), online_->end(), entry_cpu[i])) continue;
      columns_.cpus.push_back(entry_cpu[i]);
      columns_.index_of.push_back(i);
    }
  }

  const HostDir sys_irq_;
  const std::optional<CpuSet> possible_, online_;
  CountColumns columns_;
};

// Below this many IRQs per thread a thread costs more than it saves.
constexpr size_t kIrqsPerChunk = 256;

// Every IRQ directory's descriptor, in `dirs` order. The IRQs up to the one that fixes the count
// columns are read here; the rest in parallel chunks joined in order.
std::vector<Descriptor> read_sysfs_descriptors(const Host& host, const std::vector<std::string>& dirs,
                                               std::vector<int>& count_cpus, ProbeErrors& errors) {
  SysfsDescriptors reader(host);
  std::vector<std::optional<Descriptor>> found(dirs.size());
  Scratch scratch;
  size_t first = 0;
  for (; first < dirs.size() && !reader.columns_known(); ++first) found[first] = reader.read(dirs[first], scratch, errors);
  run_in_ordered_chunks(dirs.size() - first, kIrqsPerChunk, errors, [&](size_t begin, size_t end, ProbeErrors& e) {
    Scratch mine;
    for (size_t i = first + begin; i < first + end; ++i) found[i] = reader.read(dirs[i], mine, e);
  });
  std::vector<Descriptor> out;
  out.reserve(dirs.size());
  for (auto& d : found)
    if (d) out.push_back(std::move(*d));
  count_cpus = std::move(reader.count_cpus());
  return out;
}

// A message quotes at most this much of a line: a file of garbage must not become a message of
// garbage (one 10 MB line, or a million bad rows).
constexpr size_t kQuotedBytes = 120;
constexpr size_t kBadRowsQuoted = 10;

// `s` (taken from a text of `total` bytes), cut to kQuotedBytes.
std::string quoted_part(const std::string& s, size_t total) {
  if (total <= kQuotedBytes) return s;
  return s.substr(0, kQuotedBytes) + "... (" + std::to_string(total) + " bytes)";
}

// A row, trimmed, as messages quote it; only its start is copied.
std::string quoted_row(const std::string& row) { return quoted_part(trim(row.substr(0, 2 * kQuotedBytes)), row.size()); }

// Older kernels: everything from one read of /proc/interrupts. A file that yields no row at all
// (a header of garbage, or nothing but bad rows) makes the area unavailable, saying why: a kernel
// always lists its IRQs or at least its arch counters, so "0 IRQs" would be a lie.
std::vector<Descriptor> read_proc_interrupts(const Host& host, std::vector<int>& count_cpus, ProbeErrors& errors) {
  ReadResult r = host.read("/proc/interrupts");
  if (!r.ok) throw Error(r.error);
  auto parsed = parse_interrupts(r.data);
  if (!parsed.ok()) throw Error(quoted_part(parsed.error, parsed.error.size()));
  const auto& bad = parsed.value->bad;
  if (parsed.value->rows.empty())
    throw Error("/proc/interrupts: no row parses (" + std::to_string(bad.size()) + " unparsable" +
                (bad.empty() ? ")" : ", the first '" + quoted_row(bad.front()) + "')"));
  count_cpus = parsed.value->cpus;
  for (size_t i = 0; i < bad.size() && i < kBadRowsQuoted; ++i)
    errors.push_back("/proc/interrupts: unparsable row '" + quoted_row(bad[i]) + "'");
  if (bad.size() > kBadRowsQuoted)
    errors.push_back("/proc/interrupts: " + std::to_string(bad.size() - kBadRowsQuoted) + " more unparsable rows");
  std::vector<Descriptor> out;
  for (auto& row : parsed.value->rows) {
    if (!row.irq) continue;  // arch rows (NMI, LOC, ...) are not IRQs
    Descriptor d;
    d.irq = *row.irq;
    d.name = row.actions;
    d.chip = row.chip;
    if (!row.hwirq.empty()) d.hwirq = row.hwirq;
    if (!row.trigger.empty()) d.type = row.trigger;
    d.counts = CpuCounts::from_dense(row.counts);
    out.push_back(std::move(d));
  }
  return out;
}

// irq_managed_reason with the directories already open: debugfs's irqs/ (when mounted) and
// /proc/irq/N.
std::optional<std::string> managed_reason(const HostDir* debug_irqs, const HostDir& proc_irq, int irq) {
  if (debug_irqs) {
    ReadResult r = debug_irqs->read(std::to_string(irq));
    if (r.ok && r.data.find("AFFINITY_MANAGED") != std::string::npos) return "debugfs: IRQD_AFFINITY_MANAGED";
  }
  for (const char* file : {"smp_affinity", "smp_affinity_list"})
    if (proc_irq.is_read_only(file))  // false when missing
      return std::string(file) + " is read-only (kernel-managed affinity)";
  return std::nullopt;
}

// The IRQ's row: its descriptor and the affinity, node and manageability of /proc/irq/N.
IrqInfo with_proc_files(Descriptor&& d, const HostDir& proc_irq, const HostDir* debug, ProbeErrors& errors) {
  IrqInfo info;
  info.irq = d.irq;
  info.name = std::move(d.name);
  info.chip = std::move(d.chip);
  info.hwirq = std::move(d.hwirq);
  info.type = std::move(d.type);
  info.counts = std::move(d.counts);
  const HostDir dir = proc_irq.dir(std::to_string(d.irq));
  if (dir.ok()) {
    info.affinity = read_cpus(dir, "smp_affinity_list", "smp_affinity", errors);
    info.effective_affinity = read_cpus(dir, "effective_affinity_list", "effective_affinity", errors);
    info.affinity_hint = read_mask(dir, "affinity_hint", errors);
    if (auto node = read_int_field(dir, "node", errors, Presence::kOptional); node && *node >= 0)
      info.node = static_cast<int>(*node);  // -1: no node
  }
  info.managed_reason = managed_reason(debug, dir, d.irq);
  info.managed = info.managed_reason.has_value();
  return info;
}

}  // namespace

CpuCounts CpuCounts::from_dense(const std::vector<uint64_t>& dense) {
  CpuCounts out;
  out.columns = dense.size();
  for (size_t i = 0; i < dense.size(); ++i)
    if (dense[i]) out.nonzero.push_back({static_cast<uint32_t>(i), dense[i]});
  return out;
}

std::vector<uint64_t> CpuCounts::dense() const {
  std::vector<uint64_t> out(columns, 0);
  for (const Entry& e : nonzero)
    if (e.column < columns) out[e.column] = e.count;
  return out;
}

uint64_t CpuCounts::total() const {
  uint64_t sum = 0;
  for (const Entry& e : nonzero) sum += e.count;
  return sum;
}

std::optional<std::string> irq_managed_reason(const Host& host, int irq) {
  const HostDir debug_irqs = host.open_dir("/sys/kernel/debug/irq/irqs");
  return managed_reason(debug_irqs.ok() ? &debug_irqs : nullptr, host.open_dir("/proc/irq/" + std::to_string(irq)), irq);
}

Irqs probe_irqs(const Host& host, ProbeErrors& errors) {
  Irqs out;
  const HostDir proc_irq = host.open_dir("/proc/irq");
  out.default_affinity = read_mask(proc_irq, "default_smp_affinity", errors);
  // Without debugfs's irqs/ directory none of its files can be read: not one try per IRQ.
  const HostDir debug_irqs = host.open_dir("/sys/kernel/debug/irq/irqs");
  const HostDir* debug = debug_irqs.ok() ? &debug_irqs : nullptr;

  const auto sys_dirs = host.list("/sys/kernel/irq");
  std::vector<Descriptor> descs = sys_dirs.empty() ? read_proc_interrupts(host, out.count_cpus, errors)
                                                   : read_sysfs_descriptors(host, sys_dirs, out.count_cpus, errors);

  // /proc/irq/N's files for each, in parallel chunks joined in order like the descriptors.
  out.irqs.resize(descs.size());
  run_in_ordered_chunks(descs.size(), kIrqsPerChunk, errors, [&](size_t begin, size_t end, ProbeErrors& e) {
    for (size_t i = begin; i < end; ++i) out.irqs[i] = with_proc_files(std::move(descs[i]), proc_irq, debug, e);
  });
  return out;
}

}  // namespace tunectl
