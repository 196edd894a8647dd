// core/file_io: whole-file reads that refuse FIFOs, devices, directories and oversized files
// without blocking, and the capped read loop Host::read shares.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/file_io.h"
#include "core/unique_fd.h"
#include "tests/unit/test_helpers.h"

namespace tunectl {
namespace {

using test::TempTree;

TEST(ReadRegularFile, ReturnsTheExactBytesUpToAndIncludingTheCap) {
  TempTree t;
  const std::string bytes("line 1\n\0binary\xff\n", 16);
  t.write("f", bytes);
  t.symlink("f", "link");
  for (const char* name : {"/f", "/link"}) {
    const ReadResult r = read_regular_file(t.path() + name, bytes.size());
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.data, bytes);
    EXPECT_EQ(r.err, 0);
  }
  t.write("empty", "");
  const ReadResult empty = read_regular_file(t.path() + "/empty", 0);
  ASSERT_TRUE(empty.ok) << empty.error;
  EXPECT_EQ(empty.data, "");
}

TEST(ReadRegularFile, RefusesAFileOverTheCapNamingTheLimit) {
  TempTree t;
  t.write("f", "12345");
  const ReadResult r = read_regular_file(t.path() + "/f", 4);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.err, EFBIG);
  EXPECT_EQ(r.error, t.path() + "/f: larger than 4 bytes");
  EXPECT_TRUE(r.data.empty());
  // Sparse: the size alone decides, nothing is read.
  std::filesystem::resize_file(t.path() + "/f", (size_t{1} << 20) + 1);
  const ReadResult big = read_regular_file(t.path() + "/f", size_t{1} << 20);
  EXPECT_EQ(big.err, EFBIG);
  EXPECT_EQ(big.error, t.path() + "/f: larger than 1 MiB");
}

TEST(ReadRegularFile, RefusesAFifoWithoutWaitingForAWriter) {
  TempTree t;
  const std::string fifo = t.path() + "/fifo";
  t.fifo("fifo");
  ReadResult r;
  ASSERT_TRUE(test::returns_promptly([&] { r = read_regular_file(fifo, 1024); }, fifo));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.err, EINVAL);
  EXPECT_EQ(r.error, fifo + ": not a regular file (FIFO)");
}

TEST(ReadRegularFile, RefusesDevicesAndDirectories) {
  const ReadResult zero = read_regular_file("/dev/zero", 1024);
  EXPECT_FALSE(zero.ok);
  EXPECT_EQ(zero.err, EINVAL);
  EXPECT_EQ(zero.error, "/dev/zero: not a regular file (character device)");
  TempTree t;
  const ReadResult dir = read_regular_file(t.path(), 1024);
  EXPECT_FALSE(dir.ok);
  EXPECT_EQ(dir.err, EISDIR);
  EXPECT_EQ(dir.error, t.path() + ": not a regular file (directory)");
}

TEST(ReadRegularFile, MissingFileGivesItsErrnoAndNamesThePath) {
  TempTree t;
  const std::string path = t.path() + "/no/such.json";
  const ReadResult r = read_regular_file(path, 1024);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.err, ENOENT);
  EXPECT_EQ(r.error, path + ": " + std::strerror(ENOENT));
  t.write("plain", "x");
  EXPECT_EQ(read_regular_file(t.path() + "/plain/below", 1024).err, ENOTDIR);
}

// A pipe reports size 0, like procfs: only the read loop can enforce the cap.
TEST(ReadAll, ReadsToEofAndStopsOneBytePastTheCap) {
  for (const size_t cap : {size_t{9}, size_t{10}, SIZE_MAX}) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    UniqueFd rd(fds[0]), wr(fds[1]);
    ASSERT_EQ(::write(wr.get(), "0123456789", 10), 10);
    wr.reset();
    std::string out = "stale";
    const int err = read_all(rd.get(), out, cap);
    if (cap < 10) {
      EXPECT_EQ(err, EFBIG);
    } else {
      EXPECT_EQ(err, 0);
      EXPECT_EQ(out, "0123456789");
    }
  }
}

}  // namespace
}  // namespace tunectl
