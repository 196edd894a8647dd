// Host: the one door to a machine's files. Bound to a root directory: "/" is the live host, any
// other directory is a captured host tree (scripts/capture-host.sh) read exactly like the live one.
// Probes only read; writes exist for the tuner's knob layer and nothing else.
//
// Confinement: every file of a captured tree is opened relative to a descriptor of the tree's root
// with the kernel resolving inside it (core/tree_open.h): no symlink, ".." or race reaches a file
// outside the tree. A symlink chain longer than the kernel's 40 is ELOOP, as on a real system.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "core/unique_fd.h"

namespace tunectl {

class HostDir;

class Host {
 public:
  // Exactly "/" (or "") is the live host. Any other root is a captured tree; one that is the live
  // root in disguise (a symlink to /, "//", a bind mount of /) throws InputError: a tree argument
  // must never act on the live host.
  explicit Host(std::string root = "/");

  const std::string& root() const { return root_; }
  // Live-only sources (netlink, sockets, running benchmarks) exist only on the live host.
  bool is_live() const { return live_; }

  // Kernel path ("/proc/interrupts") -> real path on this machine, symlinks resolved inside the
  // root for captured trees (sysfs links are relative; absolute ones are re-rooted; ".." never
  // climbs above the root); a missing last component is kept as named. "" when a tree path cannot
  // be resolved inside the tree (a link loop, a chain over 40 links). Only for callers that need a
  // path string (statvfs, realpath, names): opening goes through the methods below.
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

  // The configuration files tunectl itself owns (the persisted profile under /etc/tunectl and its
  // systemd enable link: tuner/apply/persist.h), on the live host or confined to a tree. Never
  // for kernel files. replace_file: `bytes` (mode 0644) through a temporary file in the same
  // directory, fsync, rename, fsync of the directory: a reader sees the old file or the new one.
  // replace_symlink: `path` becomes a link to `target` (written as given), the same way.
  // remove_entry: removes the file or link `path` (never a directory; ENOENT when absent).
  // Each returns 0 or errno; the directory must exist.
  int replace_file(const std::string& path, const std::string& bytes) const;
  int replace_symlink(const std::string& target, const std::string& path) const;
  int remove_entry(const std::string& path) const;

  // `path` opened once as a directory, so that many files in it are read without resolving the
  // whole path each time (core/host_dir.h); confined like every open here.
  HostDir open_dir(const std::string& path) const;

 private:
  friend class HostDir;
  // A captured tree's root, opened once: every path of the tree is resolved under this descriptor.
  struct Tree {
    UniqueFd fd;       // O_PATH directory
    int err = 0;       // errno of opening the root (every operation then fails with it)
    std::string real;  // the root's real path, to turn a descriptor back into a kernel path
  };
  // Opens `path` with open(2) flags: by path on the live host, confined to the tree otherwise.
  int open_fd(const std::string& path, int flags, mode_t mode, UniqueFd& out) const;
  // The directory holding `path`'s last component (opened O_PATH) and that component's name.
  int open_parent(const std::string& path, UniqueFd& dir, std::string& name) const;
  int tree_kernel_path(const std::string& path, std::string& out) const;

  std::string root_;
  bool live_;
  std::shared_ptr<const Tree> tree_;  // null on the live host; shared by copies
};

// The one check of a root argument: a Host for it, or InputError("--root DIR: not a directory"),
// or InputError when DIR is the live root in disguise (see Host::Host).
Host host_for_root(const std::string& root);
// The root's real path ("/" for the live host), same checks; journals record roots this way.
std::string canonical_root(const std::string& root);
// True when `root` spells the live host: exactly "/" (or "", the default).
bool is_live_spelling(const std::string& root);

// Natural ordering: digit runs compare numerically ("cpu2" < "cpu10").
bool natural_less(const std::string& a, const std::string& b);

}  // namespace tunectl
