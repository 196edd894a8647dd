// The benchmark registry, option resolution against a benchmark's OptionSpecs, and typed getters.
#include "bench/bench.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/errors.h"
#include "core/parse.h"

namespace tunectl::bench {

const std::vector<BenchKind>& bench_kinds() {
  static const std::vector<BenchKind> kinds = {
#define TUNECTL_BENCH(name) bench_##name(),
#include "bench/benchmarks.def"
#undef TUNECTL_BENCH
  };
  return kinds;
}

std::vector<std::string> bench_names() {
  std::vector<std::string> names;
  for (const auto& k : bench_kinds()) names.push_back(k.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::unique_ptr<Benchmark> make_bench(const std::string& name) {
  for (const auto& k : bench_kinds())
    if (k.name == name) return k.make();
  std::string known;
  for (const auto& n : bench_names()) known += (known.empty() ? "" : ", ") + n;
  throw InputError("unknown benchmark '" + name + "' (known: " + known + ")");
}

Options resolve_options(const Benchmark& bench, const std::map<std::string, std::string>& given) {
  std::map<std::string, std::string> values;
  for (const auto& spec : bench.options()) values[spec.name] = spec.default_value;
  for (const auto& [name, value] : given) {
    // Python spells options with underscores (msg_size); the CLI and OptionSpecs use dashes.
    std::string dashed = name;
    std::replace(dashed.begin(), dashed.end(), '_', '-');
    if (!values.count(dashed))
      throw InputError("unknown option --" + dashed + " for benchmark " + bench.name() + " (see tunectl bench " +
                       bench.name() + " --help)");
    values[dashed] = value;
  }
  return Options(std::move(values));
}

std::string Options::str(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw InputError("option --" + name + " is not set");
  return it->second;
}

int64_t Options::integer(const std::string& name) const {
  auto v = parse_int(trim(str(name)));
  if (!v) throw InputError("option --" + name + ": '" + str(name) + "' is not an integer");
  return *v;
}

double Options::number(const std::string& name) const {
  const std::string text = trim(str(name));
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno != 0 || !std::isfinite(v))
    throw InputError("option --" + name + ": '" + text + "' is not a number");
  return v;
}

bool Options::flag(const std::string& name) const {
  std::string v = trim(str(name));
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off" || v.empty()) return false;
  throw InputError("option --" + name + ": '" + v + "' is not a boolean (use 1/0, true/false, yes/no, on/off)");
}

int64_t Options::integer_in(const std::string& name, int64_t lo, int64_t hi) const {
  const int64_t v = integer(name);
  if (v < lo || v > hi)
    throw InputError("option --" + name + ": " + std::to_string(v) + " is outside " + std::to_string(lo) + ".." +
                     std::to_string(hi));
  return v;
}

double Options::number_in(const std::string& name, double lo, double hi) const {
  const double v = number(name);
  if (v < lo || v > hi)
    throw InputError("option --" + name + ": " + str(name) + " is outside " + std::to_string(lo) + ".." +
                     std::to_string(hi));
  return v;
}

}  // namespace tunectl::bench
