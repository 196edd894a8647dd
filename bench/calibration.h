// Per-host noise thresholds from A/A calibration: the same benchmark and options run against
// themselves, interleaved; how far the median ratio's 95% CI strays from 1 when nothing changed
// is the noise band below which a comparison calls a difference "no change". A band holds only
// for the benchmark, options and number of runs it was measured with (the CI narrows as runs
// grow), so it is stored and looked up under exactly that key.
// Stored as JSON (schema "tunectl.bench-noise/2") in the state directory.
#pragma once
#include <optional>
#include <string>

#include "core/json.h"

namespace tunectl::bench {

constexpr double kDefaultNoise = 0.05;  // used for any metric without a matching calibration
constexpr double kMinNoise = 0.01;      // a calibrated band is never narrower than ±1%
// ... nor wider than ±20%: a benchmark noisier than that cannot support "no change" at all, and an
// ever-wider band would turn real changes into "no change".
constexpr double kMaxNoise = 0.20;

// $TUNECTL_BENCH_NOISE, else $TUNECTL_STATE_DIR/bench-noise.json, else
// /var/lib/tunectl/bench-noise.json.
std::string default_noise_path();

struct NoiseThreshold {
  double fraction = kDefaultNoise;
  bool calibrated = false;
  // "calibrated 2026-..Z with 10 A/A runs per side and the same options (FILE)", or
  // "default 5% (... why no calibration matched ...)".
  std::string source;
};

// What a calibration is valid for: one benchmark, its resolved options, runs per side.
struct CalibrationKey {
  std::string bench;
  json options;  // {"name": "value", ...}, as in a result's "options"
  int reps = 0;
};

class NoiseTable {
 public:
  // A missing file is an empty (uncalibrated) table, and so is a file in the older format (the
  // lookups say so); a corrupt one throws InputError.
  static NoiseTable load(const std::string& path);
  NoiseThreshold lookup(const CalibrationKey& key, const std::string& metric) const;
  // Records the noise of every metric of an A/A pair of results (run_ab with equal options),
  // replacing an earlier calibration with the same key.
  void update_from_aa(const json& a, const json& b);
  // Writes atomically (temporary file, fsync, rename), creating the directory if needed.
  void save(const std::string& path) const;
  const json& data() const { return data_; }
  // The stored calibration for `key`, or nullptr.
  const json* find(const CalibrationKey& key) const;

 private:
  std::string path_;
  std::string unusable_;  // why the file on disk could not be used, when it could not
  json data_;
};

}  // namespace tunectl::bench
