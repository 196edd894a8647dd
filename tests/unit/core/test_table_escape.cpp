// Tables print host bytes (interface names, IRQ actions, profile keys): a hostile cell cannot
// drive the terminal, bytes that are not UTF-8 show as "\xHH", and columns still line up.
#include <gtest/gtest.h>

#include <sstream>

#include "core/table.h"

namespace tunectl {
namespace {

std::string render(const Table& t) {
  std::ostringstream out;
  t.print(out);
  return out.str();
}

TEST(TableEscape, ControlBytesAndInvalidUtf8PrintAsEscapesAndAlign) {
  Table t({{"NIC"}, {"IRQ", Table::Align::Right}});
  t.add_row({"eth\x1b[2J\x1b]0;owned\x07", "38"});
  t.add_row({"t\xff", "1024"});
  t.add_row({"a\tb\r\x7f\xc2\x9b", "9"});
  const std::string out = render(t);
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_EQ(out.find('\x07'), std::string::npos) << out;
  EXPECT_EQ(out.find('\xff'), std::string::npos) << out;
  EXPECT_EQ(out,
            "NIC                          IRQ\n"
            "--------------------------  ----\n"
            "eth\\x1b[2J\\x1b]0;owned\\x07    38\n"
            "t\\xff                       1024\n"
            "a\\x09b\\x0d\\x7f\\xc2\\x9b         9\n");
}

TEST(TableEscape, HeadersAndTheNullMarkerAreEscapedTooAndValidUtf8IsKept) {
  Table t({{"K\x1b"}, {"UNIT"}}, "\x1b-");
  t.add_row({std::nullopt, "\u00b5s"});
  EXPECT_EQ(render(t),
            "K\\x1b  UNIT\n"
            "-----  ----\n"
            "\\x1b-  \u00b5s\n");
}

}  // namespace
}  // namespace tunectl
