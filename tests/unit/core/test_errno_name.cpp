// core/errno_name: symbolic errno names for messages, whatever the locale.
#include <gtest/gtest.h>

#include <cerrno>

#include "core/errno_name.h"

namespace tunectl {
namespace {

TEST(ErrnoName, NamesTheValuesKnobsAndTransactionsReport) {
  EXPECT_EQ(errno_name(EPERM), "EPERM");
  EXPECT_EQ(errno_name(EINVAL), "EINVAL");
  EXPECT_EQ(errno_name(EROFS), "EROFS");
  EXPECT_EQ(errno_name(EBUSY), "EBUSY");
  EXPECT_EQ(errno_name(EOPNOTSUPP), "EOPNOTSUPP");
  EXPECT_EQ(errno_name(ETIMEDOUT), "ETIMEDOUT");
  EXPECT_EQ(errno_name(EWOULDBLOCK), "EAGAIN");  // the same number
}

TEST(ErrnoName, UnknownValuesAreShownAsNumbers) {
  EXPECT_EQ(errno_name(4095), "errno 4095");
  EXPECT_EQ(errno_name(-1), "errno -1");
}

}  // namespace
}  // namespace tunectl
