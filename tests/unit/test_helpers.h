// Shared test helpers: fixture paths and throwaway host trees.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "tuner/apply/transaction.h"
#include "tuner/plan/plan.h"

namespace tunectl::test {

// tests/fixtures/hosts/<name> in the source tree.
std::string fixture_host(const std::string& name);

// Every entry of a tree: relative path -> mode and contents (or link target); links are not
// followed (sysfs trees have cycles). Equal states mean a tree came back byte for byte.
std::map<std::string, std::string> tree_state(const std::string& root);

// A planned change of `knob` to `value`, as the planner makes it (why: "test").
Change change_to(const std::string& knob, const std::string& value);

// What make_knob says when it refuses `address` (InputError's message), or "<accepted>".
std::string knob_refusal(const std::string& address);

// Applies `changes` (a plan of profile "unit") to `host` with `state` as the state dir, holding
// the state lock as the CLI does.
Transaction apply_changes(const Host& host, const std::string& state, const std::vector<Change>& changes);
// `tunectl rollback [--force] [--to ID]` on `root` with `state` as the state dir.
std::vector<Transaction> roll_back(const std::string& root, const std::string& state, bool force = false,
                                   std::optional<std::string> to = std::nullopt);

// Calls `fn`, which reads the FIFO at `fifo`, on another thread and waits at most `limit`. False
// when `fn` was still blocked (the FIFO then gets a writer so that `fn` ends and the test does not
// hang); otherwise true, or what `fn` threw.
bool returns_promptly(const std::function<void()>& fn, const std::string& fifo,
                      std::chrono::seconds limit = std::chrono::seconds(5));

// Live IRQs a test may use, discovered on this host instead of assumed (numbers differ between
// machines and boots). `settable`: /proc/irq/N/smp_affinity_list has a write bit and a trial write
// of its own current value succeeds. `managed`: the kernel owns the affinity (the file is read-only,
// or the trial write is refused with EPERM, EIO on older kernels). -1 when the host has none. Needs
// root; writes only values the files already hold.
struct LiveIrqs {
  int settable = -1;
  int managed = -1;
};
LiveIrqs discover_live_irqs();

// An environment variable set (or, with nullptr, unset) for one scope; the old value comes back.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value);
  ~EnvVar();
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A fresh temporary directory removed (recursively) on destruction.
class TempTree {
 public:
  TempTree();
  ~TempTree();
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` at root-relative `rel` (parents created); mode applied after writing.
  void write(const std::string& rel, const std::string& content, unsigned mode = 0644) const;
  void symlink(const std::string& target, const std::string& rel) const;
  // Makes a FIFO at `rel` (parents created): a "file" whose reading blocks until a writer comes.
  void fifo(const std::string& rel) const;
  std::string read(const std::string& rel) const;
  // Copies a fixture host tree (modes and symlinks kept) into this temp dir; returns the path.
  std::string copy_fixture(const std::string& name) const;

 private:
  std::string path_;
};

}  // namespace tunectl::test
