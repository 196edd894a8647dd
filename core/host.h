// Host: the one door to a machine's files. Bound to a root directory: "/" is the live host, any
// other directory is a captured host tree (scripts/capture-host.sh) read exactly like the live one.
// Probes only read; writes exist for the tuner's knob layer and nothing else.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include "core/file_io.h"

namespace tunectl {

class Host {
 public:
  explicit Host(std::string root = "/");

  const std::string& root() const { return root_; }
  // Live-only sources (netlink, sockets, running benchmarks) exist only on the live host.
  bool is_live() const { return live_; }

  // Kernel path ("/proc/interrupts") -> real path on this machine, symlinks resolved inside the
  // root for captured trees (sysfs links are relative; absolute ones are re-rooted; ".." never
  // climbs above the root).
  std::string resolve(const std::string& path) const;

  ReadResult read(const std::string& path) const;
  // Convenience: the file's contents with trailing whitespace trimmed, or nullopt.
  std::optional<std::string> read_trimmed(const std::string& path) const;
  bool exists(const std::string& path) const;
  bool is_dir(const std::string& path) const;
  // Entry names in a directory, sorted naturally ("rx-2" before "rx-10"); empty when missing.
  std::vector<std::string> list(const std::string& path) const;
  // The symlink's target, as written (e.g. "../../devices/pci0000:00/..."); nullopt if not a link.
  std::optional<std::string> readlink(const std::string& path) const;
  // True when no write bit is set (a kernel file the kernel will not let anyone write).
  bool is_read_only(const std::string& path) const;

  // Write the whole value in one write(2), checking the byte count, like `echo v > file`.
  // On a captured tree a file without write bits is refused with EACCES, as procfs/sysfs would.
  // Returns 0 or errno. Only the tuner's knob layer may call this.
  int write(const std::string& path, const std::string& bytes) const;
  int make_dir(const std::string& path) const;  // 0 or errno (EEXIST counts as failure)
  int remove_dir(const std::string& path) const;
  // Captured trees only (EPERM on the live host): create a new file (EEXIST if it exists) or
  // remove one, so a knob can emulate what the kernel does itself (a new cgroup's interface files).
  int create_file(const std::string& path, const std::string& bytes) const;
  int remove_file(const std::string& path) const;

 private:
  // Captured trees are static: each path component's symlink resolution is looked up once.
  struct ResolveCache {
    std::mutex mu;
    std::unordered_map<std::string, std::string> resolved;  // kernel path -> link-free kernel path
  };
  std::string resolve_in_tree(const std::string& path, int depth) const;

  std::string root_;
  bool live_;
  std::shared_ptr<ResolveCache> cache_ = std::make_shared<ResolveCache>();
};

// The one check of a root argument: a Host for it, or InputError("--root DIR: not a directory").
Host host_for_root(const std::string& root);
// The root's real path ("/" for the live host), same check; journals record roots this way.
std::string canonical_root(const std::string& root);

// Natural ordering: digit runs compare numerically ("cpu2" < "cpu10").
bool natural_less(const std::string& a, const std::string& b);

}  // namespace tunectl
