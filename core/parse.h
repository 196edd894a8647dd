// Parsers for the kernel's text formats, shared by every probe and knob. Pure functions over
// strings: no I/O, no exceptions. A parse that fails returns nullopt / ok=false plus a reason.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tunectl {

// A parse outcome with a reason on failure ("bad cpulist '0-': range has no end").
template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;
  bool ok() const { return value.has_value(); }
  static Parsed fail(std::string why) { return Parsed{std::nullopt, std::move(why)}; }
  static Parsed of(T v) { return Parsed{std::move(v), {}}; }
};

using CpuSet = std::vector<int>;  // sorted, unique CPU numbers

constexpr int kMaxCpus = 65536;  // sanity bound against hostile input

// "0-3,8,10-11", "0-31:2/4" style strides are not used by sysfs; "" is the empty set.
Parsed<CpuSet> parse_cpulist(const std::string& text);
// Canonical form: ascending ranges joined by commas ("0-3,8"); "" for the empty set.
std::string format_cpulist(const CpuSet& cpus);

// "00000000,0000ffff" (comma-separated 32-bit words, most significant first), any CPU count.
Parsed<CpuSet> parse_hex_mask(const std::string& text);
// Mask formatted as the kernel prints it for `ncpus` possible CPUs (at least one word).
std::string format_hex_mask(const CpuSet& cpus, int ncpus);

// "always [madvise] never" -> choices {always, madvise, never}, selected "madvise".
struct Choices {
  std::vector<std::string> choices;
  std::string selected;  // empty when nothing is bracketed
};
Parsed<Choices> parse_bracketed(const std::string& text);

// Lines of "key value" (cpu.stat, memory.stat, khugepaged-like files). Non-numeric values are
// skipped and listed in `bad`.
struct KeyValues {
  std::map<std::string, int64_t> values;
  std::vector<std::string> bad;  // lines that did not parse
};
KeyValues parse_key_values(const std::string& text);

// /proc/meminfo: "AnonHugePages:      2048 kB" -> {"AnonHugePages": 2048} (kB units kept).
std::map<std::string, int64_t> parse_meminfo(const std::string& text);

// /proc/net/netstat and /proc/net/snmp: pairs of header/value lines with the same prefix
// ("TcpExt: A B" / "TcpExt: 1 2") -> {"TcpExt": {"A": 1, "B": 2}}. Mismatched pairs -> error.
using SectionCounters = std::map<std::string, std::map<std::string, int64_t>>;
Parsed<SectionCounters> parse_netstat(const std::string& text);

// /proc/net/sockstat: "TCP: inuse 5 orphan 0 tw 0 alloc 6 mem 1" -> {"TCP": {"inuse": 5, ...}}.
SectionCounters parse_sockstat(const std::string& text);

// /proc/interrupts: a header of CPU columns, then one row per IRQ or arch counter.
struct InterruptRow {
  std::string label;              // "38", "NMI", "LOC", "ERR"
  std::optional<int> irq;         // numeric label
  std::vector<uint64_t> counts;   // one per CPU column (ERR/MIS have one total)
  std::string chip;               // "PCI-MSIX-0000:00:03.0", "IO-APIC"
  std::string hwirq;              // "1" (from "1-edge")
  std::string trigger;            // "edge", "level", "fasteoi"
  std::string actions;            // "virtio2-input.0" (may contain spaces and commas)
  std::string description;        // arch rows: "Non-maskable interrupts"
};
struct Interrupts {
  std::vector<int> cpus;          // CPU numbers of the columns ("CPU0 CPU2" -> {0, 2})
  std::vector<InterruptRow> rows;
  std::vector<std::string> bad;   // rows that did not parse (kept, not fatal)
};
Parsed<Interrupts> parse_interrupts(const std::string& text);

// Small helpers used everywhere.
std::string trim(const std::string& s);
std::vector<std::string> split_ws(const std::string& s);
std::optional<int64_t> parse_int(const std::string& s);  // whole string, base 10, optional sign

}  // namespace tunectl
