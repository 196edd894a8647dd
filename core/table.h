// A small aligned-table printer for human output: named columns, left or right alignment, a
// dashed underline under the headers, and a marker for missing (null) cells. Widths count
// UTF-8 characters, not bytes, so "—" lines up.
#pragma once
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tunectl {

class Table {
 public:
  enum class Align { Left, Right };
  struct Column {
    std::string header;
    Align align = Align::Left;
  };
  using Cell = std::optional<std::string>;  // nullopt prints as the null marker

  explicit Table(std::vector<Column> columns, std::string null_marker = "--");

  // Throws std::invalid_argument when the cell count differs from the column count.
  void add_row(std::vector<Cell> cells);
  size_t rows() const { return rows_.size(); }

  // Header, underline, rows; each line prefixed by `indent`, columns two spaces apart, no
  // trailing blanks.
  void print(std::ostream& out, const std::string& indent = "") const;

 private:
  std::vector<Column> columns_;
  std::string null_marker_;
  std::vector<std::vector<Cell>> rows_;
};

// Display width of a UTF-8 string (code points; no wide-character support needed here).
size_t display_width(const std::string& s);

// Raw kernel bytes as one table cell: trailing newline dropped, inner newlines/tabs as spaces.
std::string one_line(const std::optional<std::string>& raw);

}  // namespace tunectl
