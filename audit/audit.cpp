#include "audit/audit.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <sstream>
#include <thread>

#include "audit/expectations.h"
#include "audit/irq_heatmap.h"
#include "audit/report_rows.h"
#include "bench/calibration.h"
#include "bench/compare.h"
#include "bench/runner.h"
#include "bench/stats.h"
#include "core/errors.h"
#include "core/read_field.h"
#include "tuner/apply/command_hint.h"
#include "tuner/apply/journal.h"
#include "tuner/apply/state_dir.h"
#include "tuner/apply/state_lock.h"
#include "tuner/apply/toggled_transaction.h"
#include "tuner/plan/planner.h"
#include "tuner/profile/profile.h"

namespace tunectl {
namespace {

using Clock = std::chrono::steady_clock;
// An IRQ's effective affinity moves at its next interrupt: how long the audit waits for it.
constexpr auto kEffectWait = std::chrono::seconds(2);
constexpr auto kEffectPoll = std::chrono::milliseconds(100);

bench::Options resolved(const std::string& name, const BenchOptions& given) {
  auto b = bench::make_bench(name);
  return bench::resolve_options(*b, given);
}

// Runs per side the comparison of `bench` needs for any verdict (Holm over its metrics).
size_t runs_needed(const std::string& name) {
  const size_t metrics = std::max<size_t>(1, bench::make_bench(name)->metrics().size());
  return bench::stats::min_runs_for(bench::stats::kAlpha / static_cast<double>(metrics));
}

double estimated_run_seconds(const BenchChoice& c) {
  auto b = bench::make_bench(c.bench);
  return (b->estimated_seconds(resolved(c.bench, c.options_a)) + b->estimated_seconds(resolved(c.bench, c.options_b))) / 2;
}

// One benchmark of the audit: its choice, its paired runs, its result.
struct Bench {
  BenchChoice choice;
  std::unique_ptr<bench::PairedRuns> runs;
  std::string unavailable;
  json a, b, comparison;
};

class Audit {
 public:
  Audit(const AuditRequest& req, const AuditHooks& hooks)
      : req_(req), hooks_(hooks), root_(canonical_root(req.root)), host_(root_) {}

  AuditResult run() {
    if (req_.rounds < 1 || req_.rounds > 1000) throw InputError("--rounds must be 1..1000");
    if (req_.warmup < 0 || req_.warmup > 100) throw InputError("--warmup must be 0..100");
    if (req_.reps < 1 || req_.reps > 100) throw InputError("--reps must be 1..100");
    started_at_ = utc_now();
    load_start_ = loadavg(host_);
    t0_ = Clock::now();
    profile_ = req_.loaded ? *req_.loaded : load_profile(req_.profile, profile_search_dirs(req_.profile_path));
    before_ = take_snapshot(host_);
    plan_ = make_plan(host_, plan_snapshot(host_, plan_areas(profile_)), profile_);
    const json verify = profile_.resolved.value("verify", json::object());
    for (auto& c : choose_benchmarks(plan_, verify, req_.benches, req_.bench_options)) benches_.push_back({std::move(c), nullptr, "", nullptr, nullptr, nullptr});
    check_power();
    fit_to_host();
    report_ = base_report();
    if (req_.dry_run) return dry_run();
    // Read now, so that a bad calibration file is refused before anything is written.
    noise_ = bench::NoiseTable::load(req_.noise_file.value_or(bench::default_noise_path()));

    require_write_permission(host_);
    const std::string state_dir = state_dir_for(root_, req_.state_dir);
    StateLock lock = StateLock::acquire(state_dir, true);
    for (const auto& rec : load_journals(state_dir))
      if (rec.state() == "open")
        throw OpenTransaction("transaction " + rec.header.id +
                              " is open (an interrupted apply or audit); run `" +
                              tunectl_command({"rollback"}, root_, state_dir) + "` first");
    // Planned again under the lock: the plan describes the host it changes.
    plan_ = make_plan(host_, plan_snapshot(host_, plan_areas(profile_)), profile_);
    tx_.emplace(ToggledTransaction::begin(host_, plan_, state_dir));
    report_["plan"] = json(tx_->executed());
    if (tx_->empty()) return nothing_to_change();

    try {
      measure();
    } catch (const std::exception& e) {
      const Error* err = dynamic_cast<const Error*>(&e);
      const int code = err ? err->exit_code() : kExitApplyFailed;
      if (!tx_->finished()) {
        if (auto bad = tx_->roll_back(code == kExitInterrupted ? "audit interrupted" : "audit aborted: " + std::string(e.what())))
          throw Error(std::string(e.what()) + "; restoring the original failed: " + *bad + " — run `" +
                          tunectl_command({"rollback"}, root_, state_dir) + "`",
                      kExitApplyFailed);
      }
      if (apply_error_) return apply_failed();
      throw Error(std::string(e.what()) + "; the original settings were restored", code);
    }
    return conclude();
  }

 private:
  int runs_per_side() const { return req_.rounds * req_.reps; }

  void check_power() {
    for (const auto& b : benches_) {
      const size_t need = runs_needed(b.choice.bench);
      if (static_cast<size_t>(runs_per_side()) < need)
        throw InputError(b.choice.bench + " needs at least " + std::to_string(need) +
                         " runs a side for any verdict over its metrics: pass --rounds " + std::to_string(need) +
                         " or more, or --reps (got " + std::to_string(req_.rounds) + " rounds x " +
                         std::to_string(req_.reps) + " reps)");
    }
  }

  // Every run of a benchmark in the audit counts against the host's limits together (tcp_crr's
  // ephemeral port budget): the benchmark fits the options the profile and user left unset.
  void fit_to_host() {
    std::map<std::string, int> choices;
    for (const auto& b : benches_) ++choices[b.choice.bench];
    for (auto& b : benches_) {
      const int runs = choices[b.choice.bench] * 2 * (runs_per_side() + req_.warmup);
      const auto bench = bench::make_bench(b.choice.bench);
      bench->fit_to_runs(host_, b.choice.options_a, runs);
      bench->fit_to_runs(host_, b.choice.options_b, runs);
    }
  }

  double estimated_total() const {
    double per_pair = 0;
    for (const auto& b : benches_)
      if (b.choice.cannot_see.empty()) per_pair += 2 * estimated_run_seconds(b.choice);
    return per_pair * (runs_per_side() + req_.warmup);
  }

  json base_report() const {
    json chosen = json::array();
    for (const auto& b : benches_)
      chosen.push_back({{"bench", b.choice.bench}, {"options_a", options_json(b.choice.options_a)},
                        {"options_b", options_json(b.choice.options_b)}, {"because", b.choice.because},
                        {"estimated_run_s", estimated_run_seconds(b.choice)},
                        {"not_run", b.choice.cannot_see.empty() ? json() : json("cannot see the plan: " + b.choice.cannot_see)}});
    json overrides = json::object();
    for (const auto& [b, o] : req_.bench_options) overrides[b] = options_json(o);
    return {{"schema", kAuditSchema},
            {"host", host_json(before_, root_)},
            {"started_at", started_at_},
            {"profile", {{"name", profile_.name}, {"path", profile_.path}, {"digest", profile_.digest},
                         {"description", profile_.description}, {"resolved", profile_.resolved}}},
            {"options", {{"benches", req_.benches}, {"bench_options", overrides}, {"rounds", req_.rounds},
                         {"reps", req_.reps}, {"warmup", req_.warmup}, {"end", req_.keep ? "keep" : "rollback"}, {"dry_run", req_.dry_run}}},
            {"plan", json(plan_)},
            {"benchmarks_chosen", chosen},
            {"estimated_duration_s", estimated_total()}};
  }

  AuditResult dry_run() {
    report_["outcome"] = {{"passed", nullptr}, {"exit_code", 0}, {"verdict", "dry-run"},
                          {"summary", "dry run: " + std::to_string(plan_.changes.size()) + " change(s), " +
                                          std::to_string(benches_.size()) + " benchmark(s), about " +
                                          seconds_text(estimated_total()) + "; nothing was written"},
                          {"reasons", json::array()}};
    return {report_, kExitOk};
  }

  AuditResult nothing_to_change() {
    report_["transaction"] = tx_->view();
    report_["end_state"] = "unchanged";
    report_["settings"] = json::array();
    report_["benchmarks"] = json::array();
    report_["expectations"] = json::array();
    report_["regressions"] = json::array();
    report_["outcome"] = {{"passed", true}, {"exit_code", 0}, {"verdict", "nothing to change"},
                          {"summary", "nothing to change: the host already holds every setting of the profile; no "
                                      "benchmark was run and no effect is claimed"},
                          {"reasons", json::array()}};
    report_["finished_at"] = utc_now();
    return {report_, kExitOk};
  }

  AuditResult apply_failed() {
    report_["transaction"] = tx_->view();
    report_["end_state"] = "rolled-back";
    report_["settings"] = settings_json(tx_->executed(), tx_->knobs(), false);
    report_["outcome"] = {{"passed", false}, {"exit_code", kExitApplyFailed}, {"verdict", "apply failed"},
                          {"summary", "apply failed and was rolled back: " + *apply_error_},
                          {"reasons", json::array({*apply_error_})}};
    report_["finished_at"] = utc_now();
    return {report_, kExitApplyFailed};
  }

  // Puts the host in state `side` (0 = A, original; 1 = B, applied) before a run.
  void switch_to(int side) {
    if (hooks_.interrupted && hooks_.interrupted()) throw Error("audit interrupted", kExitInterrupted);
    auto err = side == 1 ? tx_->to_applied() : tx_->to_original();
    if (err) {
      apply_error_ = *err;
      throw ApplyError(*err);
    }
    if (side == 1 && !after_) {
      wait_for_effects();
      after_ = take_snapshot(host_);
    }
  }

  // An IRQ's effective affinity moves at its next interrupt: wait a little for pending effects.
  void wait_for_effects() {
    const auto until = Clock::now() + kEffectWait;
    while (true) {
      tx_->recheck_effects();
      const auto knobs = tx_->knobs();
      const bool pending = std::any_of(knobs.begin(), knobs.end(), [](const ToggledKnob& k) { return k.effect == "pending"; });
      if (!pending || Clock::now() >= until) break;
      std::this_thread::sleep_for(kEffectPoll);
    }
    effects_seen_ = tx_->knobs();
  }

  void measure() {
    for (auto& b : benches_) {
      if (!b.choice.cannot_see.empty()) {
        b.unavailable = "cannot see the plan: " + b.choice.cannot_see;
        continue;
      }
      b.runs = std::make_unique<bench::PairedRuns>(host_, b.choice.bench, resolved(b.choice.bench, b.choice.options_a),
                                                   resolved(b.choice.bench, b.choice.options_b), runs_per_side(),
                                                   req_.warmup);
      if (auto why = b.runs->unavailable()) b.unavailable = *why;
    }
    const auto t0 = Clock::now();
    const auto runnable = std::count_if(benches_.begin(), benches_.end(), [](const Bench& b) { return b.unavailable.empty(); });
    const int pairs_total = static_cast<int>(runnable) * (runs_per_side() + req_.warmup);
    int pairs_done = 0;
    // Round by round, every benchmark `pairs` times per round; pair k runs A B when k is even, B A
    // when odd.
    auto round = [&](int number, int first_k, int pairs, bool measured) {
      for (auto& b : benches_)
        for (int k = first_k; k < first_k + pairs && b.unavailable.empty(); ++k) {
          b.runs->pair(k, measured, [&](int side) {
            if (hooks_.progress) {
              const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
              const double eta = pairs_done ? elapsed / pairs_done * (pairs_total - pairs_done) : estimated_total();
              hooks_.progress({number, req_.rounds, b.choice.bench, side ? "after" : "before", eta});
            }
            switch_to(side);
          });
          ++pairs_done;
        }
    };
    for (int w = 0; w < req_.warmup; ++w) round(0, w, 1, false);
    for (int r = 1; r <= req_.rounds; ++r) round(r, (r - 1) * req_.reps, req_.reps, true);
    // The last state of the measurements is kept for the IRQ counts, then the runs are finished.
    irq_end_ = take_snapshot(host_, {"topology", "irq", "nic"});
    for (auto& b : benches_) {
      if (!b.unavailable.empty()) continue;
      auto r = b.runs->finish();
      b.a = std::move(r.a);
      b.b = std::move(r.b);
      b.runs.reset();
    }
  }

  AuditResult conclude() {
    const bench::NoiseTable& noise = *noise_;
    std::vector<BenchOutcome> outcomes;
    json benchmarks = json::array(), caveats = json::array(), counts = json::object();
    int disturbed_a = 0, disturbed_b = 0;
    for (auto& b : benches_) {
      json row = {{"bench", b.choice.bench}, {"options_a", options_json(b.choice.options_a)},
                  {"options_b", options_json(b.choice.options_b)}, {"because", b.choice.because},
                  {"unavailable", b.unavailable.empty() ? json() : json(b.unavailable)}};
      if (b.unavailable.empty()) {
        b.comparison = bench::compare_results(b.a, b.b, noise);
        row["options"] = b.a["options"];
        row["a"] = b.a;
        row["b"] = b.b;
        row["comparison"] = b.comparison;
        for (const auto& m : b.comparison["metrics"]) counts[m["verdict"].get<std::string>()] = counts.value(m["verdict"].get<std::string>(), 0) + 1;
        disturbed_a += b.comparison["disturbed_runs"]["a"].get<int>();
        disturbed_b += b.comparison["disturbed_runs"]["b"].get<int>();
        if (!b.comparison["too_disturbed"].is_null())
          caveats.push_back(b.choice.bench + ": " + b.comparison["too_disturbed"].get<std::string>() + " — its verdicts are inconclusive");
        for (const auto& m : b.comparison["metrics"])
          if (!m.value("noise_calibrated", false)) {
            caveats.push_back(b.choice.bench + ": noise band " + m.value("noise_source", ""));
            break;
          }
      } else {
        caveats.push_back(b.choice.bench + ": not run: " + b.unavailable);
      }
      benchmarks.push_back(row);
      const bool measures_setting = b.choice.options_a != b.choice.options_b;
      if (measures_setting && b.unavailable.empty())
        caveats.push_back(b.choice.bench + " ran with the setting's before and after values as its options: its changes are the "
                          "setting's own effect, judged only by the profile's expectations, never counted as regressions");
      outcomes.push_back({b.choice.bench, b.choice.because, b.unavailable, b.comparison, measures_setting, b.choice.cannot_see});
    }
    const json verify = profile_.resolved.value("verify", json::object());
    const AuditVerdict v = judge(verify.value("bench", json::array()), outcomes);

    std::optional<std::string> end_error;
    std::string end_state;
    if (v.passed && req_.keep) {
      end_error = tx_->keep();
      end_state = end_error ? "rolled-back" : "kept";
    } else {
      end_error = tx_->roll_back(v.passed ? "audit: --rollback" : "audit failed");
      end_state = end_error ? "open" : "rolled-back";
    }
    report_["settings"] = settings_json(tx_->executed(), effects_seen_.empty() ? tx_->knobs() : effects_seen_, true);
    for (auto& row : report_["settings"]) row["observed"] = observed_effect(row["knob"].get<std::string>(), benchmarks);
    report_["transaction"] = tx_->view();
    report_["transaction"]["switches"] = tx_->switches();
    report_["end_state"] = end_state;
    report_["benchmarks"] = benchmarks;
    report_["expectations"] = v.expectations;
    report_["regressions"] = v.regressions;
    report_["snapshots"] = {{"before", before_}, {"after", after_ ? json(*after_) : json()}};
    report_["irq_heatmap"] = irq_heatmap(before_, irq_end_);
    report_["environment"] = {{"loadavg_start", load_start_}, {"loadavg_end", loadavg(host_)},
                              {"disturbed_runs", {{"a", disturbed_a}, {"b", disturbed_b}}}};
    for (const auto& u : v.unchecked) caveats.push_back(u);
    report_["caveats"] = caveats;
    report_["finished_at"] = utc_now();
    report_["duration_s"] = std::chrono::duration<double>(Clock::now() - t0_).count();

    int code = v.passed ? kExitOk : kExitDrift;
    const std::string end_text = end_state == "kept" ? "kept" : end_state == "rolled-back" ? "rolled back" : "left open";
    std::string summary = summary_line(v.passed, v, counts, end_text);
    json reasons = v.reasons;
    if (end_error) {
      code = kExitApplyFailed;
      summary += "; ending the audit failed: " + *end_error;
      reasons.push_back(*end_error);
    }
    report_["outcome"] = {{"passed", v.passed && !end_error}, {"exit_code", code},
                          {"verdict", v.passed ? "passed" : "failed"}, {"summary", summary}, {"reasons", reasons},
                          {"verdicts", counts}};
    return {report_, code};
  }

  const AuditRequest& req_;
  const AuditHooks& hooks_;
  std::string root_;
  Host host_;
  std::string started_at_;
  Profile profile_;
  Snapshot before_, irq_end_;
  std::optional<Snapshot> after_;
  Plan plan_;
  std::vector<Bench> benches_;
  std::optional<ToggledTransaction> tx_;
  std::optional<bench::NoiseTable> noise_;
  std::vector<ToggledKnob> effects_seen_;
  std::optional<std::string> apply_error_;
  json report_, load_start_;
  Clock::time_point t0_;
};

}  // namespace

AuditResult run_audit(const AuditRequest& req, const AuditHooks& hooks) { return Audit(req, hooks).run(); }

}  // namespace tunectl
