// The transaction of an audit: one journal record through which the host is switched between its
// original state (A) and the plan (B) as often as the benchmarks need, and which stays open until
// the audit ends. Every switch to B makes each "writing" mark durable before its write, exactly
// like apply, so an interruption at any point — Ctrl-C, SIGTERM, SIGKILL, a crash — leaves an open
// record whose previous bytes `tunectl rollback` (or `apply --recover`) restores byte for byte;
// and while it is open, a second apply or audit refuses.
//
// The caller holds the StateLock for the whole audit and made sure no transaction was open.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/host.h"
#include "tuner/apply/transaction.h"
#include "tuner/plan/plan.h"

namespace tunectl {

// Where one knob stands after the last switch.
struct ToggledKnob {
  std::string knob, value;            // address, value of state B
  std::optional<std::string> before;  // original raw bytes (null: created with its container)
  std::optional<std::string> after;   // raw bytes read back after the last switch to B
  std::string effect = "not-applicable";  // of the last switch to B: ok | pending | failed | not-applicable
  std::string effect_detail;
};

class ToggledTransaction {
 public:
  // Checks everything apply checks (and throws the same errors) before writing the journal
  // header; nothing is written to a knob. With nothing to change, no record is made (empty()).
  static ToggledTransaction begin(const Host& host, const Plan& plan, const std::string& state_dir);
  ToggledTransaction(ToggledTransaction&&) noexcept;
  ~ToggledTransaction();

  bool empty() const;
  bool applied() const { return applied_; }  // the host is in state B
  bool finished() const { return finished_; }
  int switches() const { return switches_; }

  // Writes the plan's values (in plan order), reads them back, checks effects. On a failure it
  // restores every knob and closes the record ("rolled-back", or open if even that failed) and
  // returns the error; then finished() is true.
  std::optional<std::string> to_applied();
  // Restores the original bytes (newest write first), checked like a rollback, record still open.
  // On a failure it tries the full rollback, closes the record as above and returns the error.
  std::optional<std::string> to_original();
  // Checks the effects of state B again (an IRQ's effective affinity moves at its next interrupt).
  void recheck_effects();

  // Ends the audit with the plan applied: the record becomes "applied" (in state A, switches to B
  // first). Returns the error of that switch, if any.
  std::optional<std::string> keep();
  // Ends the audit restoring the original: the record becomes "rolled-back" with `cause`.
  std::optional<std::string> roll_back(const std::string& cause);

  std::vector<ToggledKnob> knobs() const;
  const Plan& executed() const;
  // The record as history shows it (a plan view when empty()).
  Transaction view() const;

 private:
  struct State;
  explicit ToggledTransaction(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
  bool applied_ = false, finished_ = false;
  int switches_ = 0;
};

}  // namespace tunectl
