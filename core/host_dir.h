// HostDir: one directory of a Host opened once, to read many files in it without resolving the
// whole path again for each (the IRQ probe reads four files in each of 4096 /proc/irq/N).
//
// Confinement is Host's: the directory itself is opened through Host (confined to a captured
// tree); a name inside it is one path component opened with O_NOFOLLOW, so it can only be an entry
// of that directory. A symlink entry (or a name that is not a single component) is opened through
// Host with the full path instead, resolved inside the tree like every other path. When the
// directory could not be opened, every call goes through Host with the full path too, so results
// and error messages are exactly those of Host.
#pragma once
#include <sys/stat.h>

#include <string>

#include "core/host.h"

namespace tunectl {

class HostDir {
 public:
  HostDir(const Host& host, std::string path);

  const std::string& path() const { return path_; }
  // The kernel path of an entry: path() + "/" + name.
  std::string full(const std::string& name) const { return path_ == "/" ? "/" + name : path_ + "/" + name; }
  // The directory was opened (Host::is_dir would say true).
  bool ok() const { return fd_.valid(); }

  // A subdirectory, opened relative to this one.
  HostDir dir(const std::string& name) const;
  // Host::read(path() + "/" + name), with the same results and messages.
  ReadResult read(const std::string& name) const;
  // The same into `out`, reusing its buffer: a loop over thousands of files allocates once.
  void read(const std::string& name, ReadResult& out) const;
  bool exists(const std::string& name) const;
  // Host::is_read_only of the entry (false when missing).
  bool is_read_only(const std::string& name) const;

 private:
  // The entry's own descriptor when `name` is a plain entry (not a link) of an open directory:
  // 0, or ELOOP / EXDEV meaning "ask Host with the full path", or another errno.
  int open_entry(const std::string& name, int flags, UniqueFd& out) const;
  HostDir(const Host& host, std::string path, UniqueFd fd) : host_(host), path_(std::move(path)), fd_(std::move(fd)) {}

  Host host_;
  std::string path_;
  UniqueFd fd_;  // O_PATH directory; invalid when it could not be opened
};

}  // namespace tunectl
