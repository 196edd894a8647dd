// Reading a whole file: the one read loop (Host::read uses it for kernel files) and the safe way to
// read a file a user or another process names — profiles, journals, benchmark results — which may
// turn out to be a FIFO (would block forever), a device (/dev/zero never ends) or simply huge.
// And the one way to write a whole file that readers must never see half-written.
#pragma once
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tunectl {

// A read that may fail: either the bytes, or errno plus a one-line message naming the path.
struct ReadResult {
  bool ok = false;
  std::string data;   // raw bytes when ok
  int err = 0;        // errno when !ok
  std::string error;  // "<path>: <reason>" when !ok
};

// Everything `fd` yields until EOF into `out` (replaced), retrying EINTR. Reads at most one byte
// more than `max_bytes` and fails with EFBIG when there is more. Returns 0 or errno.
int read_all(int fd, std::string& out, size_t max_bytes = SIZE_MAX);

// The whole of the regular file `path` (symlinks followed), at most `max_bytes`. Never blocks on
// what it refuses: the type is checked before reading, the open is O_NONBLOCK. Errors:
//   errno of open(2)/read(2)  "<path>: No such file or directory"
//   EISDIR                    "<path>: not a regular file (directory)"
//   EINVAL                    "<path>: not a regular file (FIFO)" — also devices and sockets
//   EFBIG                     "<path>: larger than 1 MiB"
// `st`, when given, receives the status of the very file read (fstat of the open descriptor).
ReadResult read_regular_file(const std::string& path, size_t max_bytes, struct stat* st = nullptr);

// Why root must not trust what a file or directory with status `st` holds, or nullopt: it is owned
// by someone other than root or the caller (euid), or group or others may write it (a sticky /tmp
// too). "owned by uid 65534" / "writable by group or others (mode 0777)". The state dir and the
// profiles read as root follow this rule.
std::optional<std::string> not_trusted_by_root(const struct stat& st);

// Replaces `path` with `text` (mode 0644) so that a reader sees the old file or the new one, never
// a part: a temporary file in the same directory (".<name>.XXXXXX", so a collector globbing
// "*.prom" skips it), fsync, rename, fsync of the directory. The directory must exist. Throws
// Error "<path>: <strerror>"; the temporary file is removed on failure.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace tunectl
