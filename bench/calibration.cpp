#include "bench/calibration.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sstream>

#include "core/clock.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "core/unique_fd.h"
#include "bench/result_file.h"
#include "bench/stats.h"

namespace tunectl::bench {
namespace {

constexpr const char* kNoiseSchema = "tunectl.bench-noise/1";

std::string hostname() {
  utsname u{};
  ::uname(&u);
  return u.nodename;
}


std::string pct(double fraction) {
  std::ostringstream s;
  s.precision(3);
  s << fraction * 100 << "%";
  return s.str();
}

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

}  // namespace

std::string default_noise_path() {
  if (const char* p = std::getenv("TUNECTL_BENCH_NOISE"); p && *p) return p;
  const char* dir = std::getenv("TUNECTL_STATE_DIR");
  return std::string(dir && *dir ? dir : "/var/lib/tunectl") + "/bench-noise.json";
}

NoiseTable NoiseTable::load(const std::string& path) {
  NoiseTable t;
  t.path_ = path;
  t.data_ = {{"schema", kNoiseSchema}, {"hostname", hostname()}, {"benches", json::object()}};
  const ReadResult r = read_regular_file(path, kMaxResultFileBytes);
  // Missing, or unreadable (a user reading root's 0700 state dir): not calibrated, defaults apply.
  // Something there that is no plain file of sane size is an error, like a corrupt file.
  if (!r.ok && r.err != EISDIR && r.err != EINVAL && r.err != EFBIG) return t;
  if (!r.ok) throw InputError(r.error);
  try {
    json j = json::parse(r.data);
    if (j.value("schema", "") != kNoiseSchema || !j.contains("benches") || !j["benches"].is_object())
      throw InputError(path + ": not a " + std::string(kNoiseSchema) + " file");
    t.data_ = std::move(j);
  } catch (const json::exception& e) {
    throw InputError(path + ": " + e.what());
  }
  return t;
}

NoiseThreshold NoiseTable::lookup(const std::string& bench, const std::string& metric) const {
  const std::string host = data_.value("hostname", "");
  if (host != hostname())
    return {kDefaultNoise, "default " + pct(kDefaultNoise) + " (" + path_ + " was calibrated on " + host + ")"};
  const json& b = data_["benches"].contains(bench) ? data_["benches"][bench] : json();
  if (b.is_null() || !b["metrics"].contains(metric) || !b["metrics"][metric]["noise"].is_number())
    return {kDefaultNoise, "default " + pct(kDefaultNoise) + " (uncalibrated: run tunectl bench calibrate)"};
  return {b["metrics"][metric]["noise"].get<double>(),
          "calibrated " + b.value("calibrated_at", "?") + " (" + std::to_string(b.value("reps", 0)) +
              " A/A reps, " + path_ + ")"};
}

void NoiseTable::update_from_aa(const json& a, const json& b) {
  json entry = {{"calibrated_at", utc_now_rfc3339()},
                {"reps", a["env"].value("reps", 0)},
                {"kernel", a["env"].value("kernel", "")},
                {"options", a["options"]},
                {"metrics", json::object()}};
  for (const auto& [name, metric] : a["metrics"].items()) {
    if (!b["metrics"].contains(name)) continue;
    const auto ratio = stats::median_ratio(finite_runs(metric), finite_runs(b["metrics"][name]));
    json m = {{"noise", nullptr}, {"ratio", nullptr}, {"ci95", nullptr}};
    if (ratio && std::isfinite(ratio->ci95.lo) && std::isfinite(ratio->ci95.hi)) {
      // The band is how far the A/A ratio's CI reaches from 1.
      const double reach = std::max({std::fabs(ratio->ci95.lo - 1), std::fabs(ratio->ci95.hi - 1)});
      m = {{"noise", std::max(kMinNoise, reach)}, {"ratio", ratio->ratio}, {"ci95", {ratio->ci95.lo, ratio->ci95.hi}}};
    } else {
      m["why"] = "median 0 or unbounded ratio: no relative noise band (the default applies)";
    }
    entry["metrics"][name] = m;
  }
  data_["hostname"] = hostname();
  data_["benches"][a["bench"].get<std::string>()] = entry;
}

void NoiseTable::save(const std::string& path) const {
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) mkdirs(path.substr(0, slash));
  const std::string tmp = path + ".tmp";
  const std::string text = data_.dump(2) + "\n";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) throw Error("open " + tmp + ": " + std::strerror(errno));
  const bool ok =
      ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd.get()) == 0;
  const int err = errno;
  fd.reset();
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : err);
    ::unlink(tmp.c_str());
    throw Error("write " + path + ": " + why);
  }
}

}  // namespace tunectl::bench
