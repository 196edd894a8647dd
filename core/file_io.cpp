#include "core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "core/errors.h"
#include "core/unique_fd.h"

namespace tunectl {
namespace {

const char* type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "directory";
  if (S_ISFIFO(mode)) return "FIFO";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  if (S_ISSOCK(mode)) return "socket";
  return "special file";
}

std::string size_text(size_t bytes) {
  constexpr size_t kMiB = size_t{1} << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  return std::to_string(bytes) + " bytes";
}

ReadResult failure(const std::string& path, int err, const std::string& why) {
  ReadResult r;
  r.err = err;
  r.error = path + ": " + why;
  return r;
}

// The failure errno describes, taken before anything else can change it.
ReadResult errno_failure(const std::string& path) {
  const int err = errno;
  return failure(path, err, std::strerror(err));
}

ReadResult too_large(const std::string& path, size_t max_bytes) {
  return failure(path, EFBIG, "larger than " + size_text(max_bytes));
}

// The refusal of anything but a regular file of at most `max_bytes`, or nullopt.
std::optional<ReadResult> refusal(const std::string& path, const struct stat& st, size_t max_bytes) {
  if (!S_ISREG(st.st_mode))
    return failure(path, S_ISDIR(st.st_mode) ? EISDIR : EINVAL,
                   std::string("not a regular file (") + type_name(st.st_mode) + ")");
  if (static_cast<uintmax_t>(st.st_size) > max_bytes) return too_large(path, max_bytes);
  return std::nullopt;
}

}  // namespace

int read_all(int fd, std::string& out, size_t max_bytes) {
  out.clear();
  char buf[65536];
  for (;;) {
    // One byte past the cap is enough to know the file is too large.
    const size_t room = max_bytes - out.size();
    const size_t want = room < sizeof buf ? room + 1 : sizeof buf;
    const ssize_t n = ::read(fd, buf, want);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (static_cast<size_t>(n) > room) return EFBIG;
    out.append(buf, static_cast<size_t>(n));
  }
}

ReadResult read_regular_file(const std::string& path, size_t max_bytes, struct stat* st_out) {
  // stat first so a device is never even opened (opening some has side effects); fstat after the
  // open catches a file swapped in between. O_NONBLOCK: opening a FIFO in that window cannot hang.
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return errno_failure(path);
  if (auto no = refusal(path, st, max_bytes)) return *no;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) return errno_failure(path);
  if (::fstat(fd.get(), &st) != 0) return errno_failure(path);
  if (auto no = refusal(path, st, max_bytes)) return *no;
  ReadResult r;
  r.data.reserve(static_cast<size_t>(st.st_size));
  if (int err = read_all(fd.get(), r.data, max_bytes)) {
    return err == EFBIG ? too_large(path, max_bytes) : failure(path, err, std::strerror(err));
  }
  r.ok = true;
  if (st_out) *st_out = st;
  return r;
}

std::optional<std::string> not_trusted_by_root(const struct stat& st) {
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) return "owned by uid " + std::to_string(st.st_uid);
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return std::string("writable by group or others (mode ") + mode + ")";
  }
  return std::nullopt;
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = (slash == std::string::npos ? "" : path.substr(0, slash + 1)) + "." + name + ".XXXXXX";
  std::vector<char> templ(tmp.begin(), tmp.end());
  templ.push_back('\0');
  UniqueFd fd(::mkostemp(templ.data(), O_CLOEXEC));  // O_EXCL: never follows or reuses a planted file
  if (!fd.valid()) throw Error(path + ": " + std::strerror(errno));
  tmp = templ.data();
  const auto fail = [&](int err) {
    fd.reset();
    ::unlink(tmp.c_str());
    throw Error(path + ": " + std::strerror(err));
  };
  if (::fchmod(fd.get(), 0644) != 0) fail(errno);  // mkstemp makes 0600; a collector may run as another user
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(errno);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) fail(errno);
  if (::close(fd.release()) != 0) fail(errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(errno);
  // The rename itself is only durable once the directory is.
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d.valid() || ::fsync(d.get()) != 0) throw Error(path + ": " + std::strerror(errno));
}

}  // namespace tunectl
