#include "bench/calibration.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sstream>

#include "core/clock.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "bench/result_file.h"
#include "bench/stats.h"

namespace tunectl::bench {
namespace {

constexpr const char* kNoiseSchema = "tunectl.bench-noise/2";
constexpr const char* kOldNoiseSchema = "tunectl.bench-noise/1";

std::string hostname() {
  utsname u{};
  ::uname(&u);
  return u.nodename;
}


std::string pct(double fraction) { return stats::three_significant(fraction * 100) + "%"; }

std::vector<double> finite_runs(const json& metric) {
  std::vector<double> v;
  for (const auto& x : metric.value("runs", json::array()))
    if (x.is_number()) v.push_back(x.get<double>());
  return v;
}

void mkdirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i < dir.size() && dir[i] != '/') continue;
    const std::string part = dir.substr(0, i);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
      throw Error("mkdir " + part + ": " + std::strerror(errno));
  }
}

bool same_key(const json& entry, const CalibrationKey& key) {
  return entry.value("bench", "") == key.bench && entry.value("reps", -1) == key.reps &&
         entry.value("options", json()) == key.options;
}

}  // namespace

std::string default_noise_path() {
  if (const char* p = std::getenv("TUNECTL_BENCH_NOISE"); p && *p) return p;
  const char* dir = std::getenv("TUNECTL_STATE_DIR");
  return std::string(dir && *dir ? dir : "/var/lib/tunectl") + "/bench-noise.json";
}

NoiseTable NoiseTable::load(const std::string& path) {
  NoiseTable t;
  t.path_ = path;
  t.data_ = {{"schema", kNoiseSchema}, {"hostname", hostname()}, {"entries", json::array()}};
  const ReadResult r = read_regular_file(path, kMaxResultFileBytes);
  // Missing, or unreadable (a user reading root's 0700 state dir): not calibrated, defaults apply.
  // Something there that is no plain file of sane size is an error, like a corrupt file.
  if (!r.ok && r.err != EISDIR && r.err != EINVAL && r.err != EFBIG) return t;
  if (!r.ok) throw InputError(r.error);
  try {
    json j = json::parse(r.data);
    if (j.value("schema", "") == kOldNoiseSchema) {
      t.unusable_ = path + " holds bands not keyed by options and runs (" + kOldNoiseSchema + "): recalibrate";
      return t;
    }
    if (j.value("schema", "") != kNoiseSchema || !j.contains("entries") || !j["entries"].is_array())
      throw InputError(path + ": not a " + std::string(kNoiseSchema) + " file");
    for (const auto& e : j["entries"])
      if (!e.is_object() || !e.value("bench", json()).is_string() || !e.value("reps", json()).is_number_integer() ||
          !e.value("options", json()).is_object() || !e.value("metrics", json()).is_object())
        throw InputError(path + ": an entry lacks bench, reps, options or metrics");
    t.data_ = std::move(j);
  } catch (const json::exception& e) {
    throw InputError(path + ": " + e.what());
  }
  return t;
}

const json* NoiseTable::find(const CalibrationKey& key) const {
  for (const auto& e : data_["entries"])
    if (same_key(e, key)) return &e;
  return nullptr;
}

NoiseThreshold NoiseTable::lookup(const CalibrationKey& key, const std::string& metric) const {
  const std::string fallback = "default " + pct(kDefaultNoise) + " (";
  if (!unusable_.empty()) return {kDefaultNoise, false, fallback + unusable_ + ")"};
  const std::string host = data_.value("hostname", "");
  if (host != hostname()) return {kDefaultNoise, false, fallback + path_ + " was calibrated on " + host + ")"};
  const json* e = find(key);
  if (!e) {
    std::string other;
    for (const auto& x : data_["entries"])
      if (x.value("bench", "") == key.bench)
        other = "; " + key.bench + " is calibrated only for other options or run counts (e.g. " +
                std::to_string(x.value("reps", 0)) + " runs)";
    return {kDefaultNoise, false,
            fallback + "uncalibrated for " + key.bench + " with these options and " + std::to_string(key.reps) +
                " runs" + other + ": run tunectl bench calibrate)"};
  }
  const json& m = (*e)["metrics"].contains(metric) ? (*e)["metrics"][metric] : json();
  if (!m.is_object() || !m["noise"].is_number())
    return {kDefaultNoise, false, fallback + "the calibration gave " + metric + " no relative band: its median was 0)"};
  std::string capped;
  if (m.value("capped", false)) capped = ", capped at " + pct(kMaxNoise) + " from " + pct(m["reach"].get<double>());
  return {m["noise"].get<double>(), true,
          "calibrated " + e->value("calibrated_at", "?") + " with " + std::to_string(key.reps) +
              " A/A runs per side and the same options" + capped + " (" + path_ + ")"};
}

void NoiseTable::update_from_aa(const json& a, const json& b) {
  const CalibrationKey key{a["bench"].get<std::string>(), a["options"], a["env"].value("reps", 0)};
  json entry = {{"bench", key.bench},
                {"options", key.options},
                {"reps", key.reps},
                {"calibrated_at", utc_now_rfc3339()},
                {"kernel", a["env"].value("kernel", "")},
                {"metrics", json::object()}};
  for (const auto& [name, metric] : a["metrics"].items()) {
    if (!b["metrics"].contains(name)) continue;
    const auto ratio = stats::median_ratio(finite_runs(metric), finite_runs(b["metrics"][name]));
    json m = {{"noise", nullptr}, {"ratio", nullptr}, {"ci95", nullptr}};
    if (ratio && std::isfinite(ratio->ci95.lo) && std::isfinite(ratio->ci95.hi)) {
      // The band is how far the A/A ratio's CI reaches from 1, kept within [kMinNoise, kMaxNoise].
      const double reach = std::max({std::fabs(ratio->ci95.lo - 1), std::fabs(ratio->ci95.hi - 1)});
      m = {{"noise", std::clamp(reach, kMinNoise, kMaxNoise)},
           {"reach", reach},
           {"capped", reach > kMaxNoise},
           {"ratio", ratio->ratio},
           {"ci95", {ratio->ci95.lo, ratio->ci95.hi}}};
    } else {
      m["why"] = "median 0 or unbounded ratio: no relative noise band (the default applies)";
    }
    entry["metrics"][name] = m;
  }
  if (data_.value("hostname", "") != hostname()) data_["entries"] = json::array();  // another host's bands
  data_["hostname"] = hostname();
  json kept = json::array();
  for (auto& e : data_["entries"])
    if (!same_key(e, key)) kept.push_back(std::move(e));
  kept.push_back(std::move(entry));
  data_["entries"] = std::move(kept);
  unusable_.clear();
}

void NoiseTable::save(const std::string& path) const {
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) mkdirs(path.substr(0, slash));
  write_file_atomically(path, data_.dump(2) + "\n");  // temp file, fsync, rename, fsync of the dir
}

}  // namespace tunectl::bench
