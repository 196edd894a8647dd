// core/unique_fd: one owner per descriptor; closed exactly once, on destruction or reset.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "core/unique_fd.h"

namespace tunectl {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int open_null() {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0) ADD_FAILURE() << "cannot open /dev/null";
  return fd;
}

TEST(UniqueFd, ClosesOnDestruction) {
  const int raw = open_null();
  {
    UniqueFd fd(raw);
    EXPECT_TRUE(fd.valid());
    EXPECT_EQ(fd.get(), raw);
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
  EXPECT_FALSE(UniqueFd().valid());
  EXPECT_EQ(UniqueFd().get(), -1);
}

TEST(UniqueFd, MovesTransferOwnershipAndAssignmentClosesTheOldOne) {
  const int a = open_null(), b = open_null();
  {
    UniqueFd first(a);
    UniqueFd second(std::move(first));
    EXPECT_EQ(first.get(), -1);  // the moved-from state is part of the contract
    EXPECT_EQ(second.get(), a);
    UniqueFd third(b);
    third = std::move(second);
    EXPECT_FALSE(is_open(b));
    EXPECT_TRUE(is_open(a));
    EXPECT_EQ(third.get(), a);
  }
  EXPECT_FALSE(is_open(a));
}

TEST(UniqueFd, ReleaseGivesUpOwnership) {
  const int raw = open_null();
  {
    UniqueFd fd(raw);
    EXPECT_EQ(fd.release(), raw);
    EXPECT_FALSE(fd.valid());
  }
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(UniqueFd, ResetClosesTakesTheNewOneAndKeepsErrno) {
  const int a = open_null(), b = open_null();
  UniqueFd fd(a);
  errno = ENOSPC;
  fd.reset(b);
  EXPECT_EQ(errno, ENOSPC);  // an error path closing a descriptor still reports its own errno
  EXPECT_FALSE(is_open(a));
  EXPECT_EQ(fd.get(), b);
  fd.reset();
  EXPECT_FALSE(is_open(b));
  EXPECT_FALSE(fd.valid());
}

}  // namespace
}  // namespace tunectl
