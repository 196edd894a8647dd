#include "tuner/profile/verify_section.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "bench/bench.h"
#include "core/errors.h"
#include "core/json_check.h"

namespace tunectl {
namespace {
using namespace json_check;

constexpr size_t kMaxExpectations = 64;
constexpr double kMaxMinEffect = 100.0;  // 100 = "B is 101x better": beyond it a typo, not a goal

std::string known_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Option values as the CLI would give them: strings, numbers and booleans ("1"/"0").
std::map<std::string, std::string> option_values(const json& v, const std::string& at) {
  require_object(v, at);
  std::map<std::string, std::string> out;
  for (const auto& [name, x] : v.items()) {
    const std::string oat = sub(at, name);
    if (x.is_string()) out[name] = text_field(x, oat);
    else if (x.is_boolean()) out[name] = x.get<bool>() ? "1" : "0";
    else if (x.is_number_integer()) out[name] = std::to_string(x.get<int64_t>());
    else if (x.is_number()) out[name] = x.dump();
    else throw JsonError(oat, "must be a string, number or boolean");
  }
  return out;
}

json canonical_expectation(const json& b, const std::string& at) {
  require_object(b, at);
  only_keys(b, at, {"bench", "suite", "options", "metric", "expect", "min_effect", "why"});
  const char* name_key = b.contains("bench") ? "bench" : "suite";
  if (!b.contains(name_key) || !b[name_key].is_string())
    throw JsonError(sub(at, "bench"), "must name a benchmark (" + known_list(bench::bench_names()) + ")");
  const std::string name = b[name_key].get<std::string>();
  std::unique_ptr<bench::Benchmark> bm;
  try {
    bm = bench::make_bench(name);
  } catch (const InputError&) {
    throw JsonError(sub(at, name_key), "unknown benchmark '" + name + "' (known: " + known_list(bench::bench_names()) + ")");
  }
  json out = {{"bench", name}, {"options", json::object()}};
  if (b.contains("options")) {
    const auto given = option_values(b["options"], sub(at, "options"));
    try {
      (void)bench::resolve_options(*bm, given);
    } catch (const InputError& e) {
      throw JsonError(sub(at, "options"), e.what());
    }
    for (const auto& [k, v] : given) out["options"][k] = v;
  }
  const std::string expect = b.contains("expect") && b["expect"].is_string() ? b["expect"].get<std::string>() : "";
  if (expect != "improved" && expect != "no-regression")
    throw JsonError(sub(at, "expect"), "must be \"improved\" or \"no-regression\"");
  out["expect"] = expect;
  if (b.contains("metric")) {
    if (!b["metric"].is_string()) throw JsonError(sub(at, "metric"), "must be a metric name");
    const std::string metric = b["metric"].get<std::string>();
    std::vector<std::string> known;
    for (const auto& m : bm->metrics()) known.push_back(m.name);
    if (std::find(known.begin(), known.end(), metric) == known.end())
      throw JsonError(sub(at, "metric"), name + " has no metric '" + metric + "' (its metrics: " + known_list(known) + ")");
    out["metric"] = metric;
  } else if (expect == "improved") {
    throw JsonError(sub(at, "metric"), "\"improved\" needs the metric that should improve");
  }
  if (b.contains("min_effect")) {
    const json& m = b["min_effect"];
    if (!m.is_number() || !std::isfinite(m.get<double>()) || m.get<double>() <= 0 || m.get<double>() > kMaxMinEffect)
      throw JsonError(sub(at, "min_effect"), "must be a number in (0, 100]: the least relative improvement, 0.1 = 10%");
    if (expect != "improved") throw JsonError(sub(at, "min_effect"), "only applies to \"improved\"");
    out["min_effect"] = m.get<double>();
  }
  if (b.contains("why")) out["why"] = text_field(b["why"], sub(at, "why"));
  return out;
}

}  // namespace

json canonical_verify(const json& v, const std::string& at) {
  require_object(v, at);
  only_keys(v, at, {"effects", "bench"});
  json out = {{"effects", true}, {"bench", json::array()}};
  if (v.contains("effects")) out["effects"] = bool_field(v["effects"], sub(at, "effects"));
  if (v.contains("bench")) {
    const std::string bat = sub(at, "bench");
    if (!v["bench"].is_array() || v["bench"].size() > kMaxExpectations)
      throw JsonError(bat, "must be a list of at most " + std::to_string(kMaxExpectations) + " expectations");
    for (size_t i = 0; i < v["bench"].size(); ++i)
      out["bench"].push_back(canonical_expectation(v["bench"][i], sub(bat, std::to_string(i))));
  }
  return out;
}

}  // namespace tunectl
