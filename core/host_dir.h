// HostDir: one directory of a Host opened once, to read many files in it without resolving the
// whole path again for each (the IRQ probe reads four files in each of 4096 /proc/irq/N).
//
// Confinement is Host's: the directory itself is opened through Host (confined to a captured
// tree); a name inside it is one path component opened with O_NOFOLLOW, so it can only be an entry
// of that directory. A symlink entry (or a name that is not a single component) is opened through
// Host with the full path instead, resolved inside the tree like every other path. When the
// directory could not be opened, every call goes through Host with the full path too, so results
// and error messages are exactly those of Host.
//
// A captured tree's file must be proved a regular file before it is read (a device node there is
// refused, never read); fstat after each open did that, a fifth of a tree probe's syscalls. A tree
// directory instead lists its entries' types once when opened (one getdents64, up to 8 KiB of
// entries): an entry listed as a regular file is read without the fstat. An entry listed as
// anything else, or not in that listing, is checked with fstat as before. Swapping a listed file
// for a device in between needs CAP_MKNOD; a FIFO swapped in is opened non-blocking and reads as
// empty. The live host is not checked (procfs and sysfs) and lists nothing.
//
// Its files are attribute files, one value each (sysfs attributes, /proc/irq/N/*), read with one
// read(2) where read_all needs two: a captured regular file ends at a short read, and the kernel
// returns a live attribute whole when it is under a page. Not for multi-record files such as
// /proc/interrupts, which the kernel returns in pieces: read those through Host.
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
  HostDir(const Host& host, std::string path, UniqueFd fd);
  // How a subdirectory is opened: O_PATH on the live host; readable in a tree, to be listed.
  int dir_flags() const;
  void list_entry_types();
  // The entry's d_type in the listing (DT_UNKNOWN when not listed).
  unsigned char listed_type(const std::string& name) const;

  Host host_;
  std::string path_;
  UniqueFd fd_;          // the directory; invalid when it could not be opened
  std::string listing_;  // a tree directory's getdents64 records (struct dirent64), as returned
};

}  // namespace tunectl
