// The aligned-table printer used by every verb's human output.
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

#include "core/table.h"

namespace tunectl::cli {
namespace {

std::string render(const Table& t, const std::string& indent = "") {
  std::ostringstream out;
  t.print(out, indent);
  return out.str();
}

TEST(Table, AlignsColumnsUnderlinesHeadersAndTrimsTrailingBlanks) {
  Table t({{"NAME"}, {"IRQ", Table::Align::Right}, {"CPUS"}});
  t.add_row({"eth0", "38", "0-3"});
  t.add_row({"mlx5_0", "1024", "8"});
  EXPECT_EQ(render(t),
            "NAME     IRQ  CPUS\n"
            "------  ----  ----\n"
            "eth0      38  0-3\n"
            "mlx5_0  1024  8\n");
}

TEST(Table, NullCellsPrintTheMarkerAndCountTowardWidth) {
  Table t({{"A"}, {"B", Table::Align::Right}});
  t.add_row({std::nullopt, std::nullopt});
  t.add_row({"x", "1"});
  EXPECT_EQ(render(t, "  "),
            "  A    B\n"
            "  --  --\n"
            "  --  --\n"
            "  x    1\n");
  Table custom({{"V"}}, "n/a");
  custom.add_row({std::nullopt});
  EXPECT_EQ(render(custom), "V\n---\nn/a\n");
}

TEST(Table, MultiByteCharactersCountAsOneColumn) {
  Table t({{"LOCAL"}, {"X"}});
  t.add_row({"\u2014", "a"});  // "—" is three bytes
  t.add_row({"yes", "b"});
  EXPECT_EQ(render(t),
            "LOCAL  X\n"
            "-----  -\n"
            "\u2014      a\n"
            "yes    b\n");
  EXPECT_EQ(display_width("\u2014"), 1u);
  EXPECT_EQ(display_width("abc"), 3u);
}

TEST(Table, EmptyTablePrintsHeaderOnlyAndWrongRowWidthThrows) {
  Table t({{"ONE"}, {"TWO"}});
  EXPECT_EQ(render(t), "ONE  TWO\n---  ---\n");
  EXPECT_THROW(t.add_row({"only one"}), std::invalid_argument);
  EXPECT_EQ(t.rows(), 0u);
}

}  // namespace
}  // namespace tunectl::cli
