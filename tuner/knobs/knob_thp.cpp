// thp:<file> -> /sys/kernel/mm/transparent_hugepage/<file>. Choice files ("always [madvise] never")
// are written with the bare word and compared by their bracketed selection; numeric files
// (use_zero_page, khugepaged/*) as integers.
#include <cerrno>
#include <regex>

#include "core/errors.h"
#include "tuner/knobs/knob.h"
#include "core/json_check.h"
#include "tuner/knobs/knob_util.h"
#include "tuner/knobs/section.h"

namespace tunectl {
namespace {
using namespace knob_util;

const char* const kThpDir = "/sys/kernel/mm/transparent_hugepage/";

struct ThpSpec {
  bool choice;
  std::vector<std::string> known;  // choice files: the kernel's words
  int64_t lo = 0, hi = 0;          // numeric files
};

std::optional<ThpSpec> spec_for(const std::string& file) {
  static const std::regex per_size_enabled("hugepages-[1-9][0-9]{0,9}kB/enabled");
  static const std::regex per_size_shmem("hugepages-[1-9][0-9]{0,9}kB/shmem_enabled");
  if (file == "enabled") return ThpSpec{true, {"always", "madvise", "never"}};
  if (file == "defrag") return ThpSpec{true, {"always", "defer", "defer+madvise", "madvise", "never"}};
  if (file == "shmem_enabled")
    return ThpSpec{true, {"always", "within_size", "advise", "never", "deny", "force"}};
  if (std::regex_match(file, per_size_enabled)) return ThpSpec{true, {"always", "inherit", "madvise", "never"}};
  if (std::regex_match(file, per_size_shmem))
    return ThpSpec{true, {"always", "inherit", "within_size", "advise", "never"}};
  if (file == "use_zero_page" || file == "khugepaged/defrag") return ThpSpec{false, {}, 0, 1};
  // HPAGE_PMD_NR - 1 with 4 KiB pages; validate_for widens it for larger PMD sizes.
  if (file == "khugepaged/max_ptes_none") return ThpSpec{false, {}, 0, 511};
  if (file == "khugepaged/pages_to_scan") return ThpSpec{false, {}, 1, 4294967295LL};
  if (file == "khugepaged/scan_sleep_millisecs" || file == "khugepaged/alloc_sleep_millisecs")
    return ThpSpec{false, {}, 0, 4294967295LL};
  return std::nullopt;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class ThpKnob : public Knob {
 public:
  ThpKnob(const std::string& address, const std::string& file, ThpSpec spec)
      : Knob(address), path_(kThpDir + file), spec_(std::move(spec)) {}

  std::string kind() const override { return "thp"; }
  ReadResult read_raw(const Host& host) const override { return host.read(path_); }

  // Choice files: the selected word (raw "always [madvise] never" or desired "madvise");
  // numeric files: the integer.
  std::string normalise(const std::string& value) const override {
    if (spec_.choice) {
      auto p = parse_bracketed(value);
      if (p.ok() && !p.value->selected.empty()) return p.value->selected;
      return fold_ws(value);
    }
    auto v = parse_int(trim(value));
    return v ? std::to_string(*v) : fold_ws(value);
  }

  std::optional<std::string> validate(const std::string& desired) const override {
    const std::string d = trim(desired);
    if (spec_.choice) {
      for (const auto& k : spec_.known)
        if (d == k) return std::nullopt;
      return "must be one of " + join(spec_.known) + ", got '" + d + "'";
    }
    return check_int(d, spec_.lo, spec_.hi);
  }

  std::optional<std::string> validate_for(const Host& host, const std::string& desired) const override {
    const std::string d = trim(desired);
    if (spec_.choice) {
      // The file's own choices win: kernels differ (older ones lack defer+madvise, deny/force).
      if (auto c = choices(host)) {
        for (const auto& k : c->choices)
          if (d == k) return std::nullopt;
        return "must be one of " + join(c->choices) + " (offered by " + path_ + "), got '" + d + "'";
      }
      return validate(desired);
    }
    if (path_ == std::string(kThpDir) + "khugepaged/max_ptes_none") {
      // HPAGE_PMD_NR - 1: hpage_pmd_size / 4 KiB (x86_64 and 4K arm64: 511).
      if (auto t = host.read_trimmed(std::string(kThpDir) + "hpage_pmd_size")) {
        auto sz = parse_int(*t);
        if (sz && *sz >= 4096 * 2) return check_int(d, 0, *sz / 4096 - 1);
      }
    }
    return validate(desired);
  }

  WriteOutcome write(const Host& host, const std::string& desired) const override {
    const std::string d = trim(desired);
    if (spec_.choice) {
      if (host.is_live()) return write_file(host, address(), path_, d + "\n");
      // A captured tree: leave the file as the kernel would show it afterwards.
      auto c = choices(host);
      if (!c) return write_file(host, address(), path_, d + "\n");
      bool found = false;
      std::string out;
      for (const auto& k : c->choices) {
        found |= (k == d);
        out += (out.empty() ? "" : " ") + (k == d ? "[" + k + "]" : k);
      }
      if (!found) return write_error(host, address(), path_, EINVAL, d, WriteContext::kGeneric);
      return write_file(host, address(), path_, out + "\n");
    }
    auto v = parse_int(d);
    return write_file(host, address(), path_, (v ? std::to_string(*v) : d) + "\n");
  }

  // Live: the selected word (the kernel does not accept its own bracketed listing back);
  // captured tree: the exact bytes.
  WriteOutcome restore(const Host& host, const std::string& raw) const override {
    if (!host.is_live()) return write_file(host, address(), path_, raw);
    if (spec_.choice) {
      auto p = parse_bracketed(raw);
      if (!p.ok() || p.value->selected.empty())
        return WriteOutcome{EINVAL, address() + ": cannot restore '" + fold_ws(raw) + "': no bracketed selection"};
      return write_file(host, address(), path_, p.value->selected + "\n");
    }
    return write_file(host, address(), path_, raw);
  }

  std::optional<std::string> not_settable(const Host& host) const override {
    if (!host.exists(kThpDir)) return "transparent hugepages not supported by this kernel (" + std::string(kThpDir) + " missing)";
    return file_not_settable(host, path_);
  }

 private:
  std::optional<Choices> choices(const Host& host) const {
    ReadResult r = host.read(path_);
    if (!r.ok) return std::nullopt;
    auto p = parse_bracketed(r.data);
    if (!p.ok() || p.value->choices.empty()) return std::nullopt;
    return *p.value;
  }
  std::string path_;
  ThpSpec spec_;
};

std::unique_ptr<Knob> make_thp(const std::string& address) {
  const std::string file = address.substr(4);  // after "thp:"
  if (file.empty()) return nullptr;
  auto spec = spec_for(file);
  if (!spec)
    throw InputError("bad knob address '" + address + "': '" + file +
                     "' is not a THP setting (allowed: enabled, defrag, shmem_enabled, use_zero_page, "
                     "khugepaged/{defrag,max_ptes_none,pages_to_scan,scan_sleep_millisecs,alloc_sleep_millisecs}, "
                     "hugepages-<N>kB/{enabled,shmem_enabled})");
  return std::make_unique<ThpKnob>(address, file, *spec);
}

}  // namespace

// Profile section: {"thp": {"enabled": SETTING, "khugepaged/defrag": SETTING, ...}}.
KnobKind knob_kind_thp() {
  auto section = std::make_shared<ProfileSection>();
  section->name = "thp";
  section->shape = SectionShape::kKeyed;
  section->check_key = [](const std::string& key, const std::string& at) {
    json_check::check_name(key, at, "THP setting", "/", 128);
  };
  section->address = [](const std::string& key, const std::string&) { return "thp:" + key; };
  section->collect = keyed_collector("thp", "thp");
  return KnobKind{"thp", "thp:<file>, e.g. thp:enabled, thp:khugepaged/defrag, thp:hugepages-2048kB/enabled", make_thp,
                  ApplyPhase::kMemory, "/sys/kernel/mm/transparent_hugepage", section};
}
}  // namespace tunectl
