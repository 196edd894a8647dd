// Per-host noise thresholds from A/A calibration: the same benchmark and options run against
// themselves, interleaved; how far the median ratio's 95% CI strays from 1 when nothing changed
// is the noise band below which a comparison calls a difference "no change".
// Stored as JSON (schema "tunectl.bench-noise/1") in the state directory.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "core/json.h"

namespace tunectl::bench {

constexpr double kDefaultNoise = 0.05;  // used for any metric without a calibration on this host
constexpr double kMinNoise = 0.01;      // a calibrated band is never narrower than ±1%

// $TUNECTL_BENCH_NOISE, else $TUNECTL_STATE_DIR/bench-noise.json, else
// /var/lib/tunectl/bench-noise.json.
std::string default_noise_path();

struct NoiseThreshold {
  double fraction = kDefaultNoise;
  std::string source;  // "calibrated 2024-..Z (10 A/A reps)" or "default 5% (...why...)"
};

class NoiseTable {
 public:
  // A missing file is an empty (uncalibrated) table; a corrupt one throws InputError.
  static NoiseTable load(const std::string& path);
  NoiseThreshold lookup(const std::string& bench, const std::string& metric) const;
  // Records the noise of every metric of an A/A pair of results (run_ab with equal options).
  void update_from_aa(const json& a, const json& b);
  // Writes atomically (temporary file, fsync, rename), creating the directory if needed.
  void save(const std::string& path) const;
  const json& data() const { return data_; }

 private:
  std::string path_;
  json data_;
};

}  // namespace tunectl::bench
