#include "core/table.h"

#include <algorithm>
#include <stdexcept>

#include "core/json_text.h"

namespace tunectl {

size_t display_width(const std::string& s) {
  // Count every byte that does not continue a multi-byte sequence.
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

Table::Table(std::vector<Column> columns, std::string null_marker)
    : columns_(std::move(columns)), null_marker_(escape_for_terminal(null_marker)) {
  for (auto& c : columns_) c.header = escape_for_terminal(c.header);
}

void Table::add_row(std::vector<Cell> cells) {
  if (cells.size() != columns_.size())
    throw std::invalid_argument("table row has " + std::to_string(cells.size()) + " cells for " +
                                std::to_string(columns_.size()) + " columns");
  // Cells are host bytes (interface names, IRQ actions, profile keys): escaped here, once, so that
  // no cell can move the cursor or recolour the terminal, and widths count what is printed.
  for (auto& cell : cells)
    if (cell) *cell = escape_for_terminal(*cell);
  rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out, const std::string& indent) const {
  std::vector<size_t> width(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    width[c] = display_width(columns_[c].header);
    for (const auto& row : rows_) width[c] = std::max(width[c], display_width(row[c].value_or(null_marker_)));
  }
  auto line = [&](auto cell_text, auto align_of) {
    std::string text = indent;
    for (size_t c = 0; c < columns_.size(); ++c) {
      const std::string cell = cell_text(c);
      const std::string pad(width[c] - display_width(cell), ' ');
      if (c > 0) text += "  ";
      text += align_of(c) == Align::Right ? pad + cell : cell + pad;
    }
    text.erase(text.find_last_not_of(' ') + 1);
    out << text << "\n";
  };
  line([&](size_t c) { return columns_[c].header; }, [&](size_t c) { return columns_[c].align; });
  line([&](size_t c) { return std::string(width[c], '-'); }, [](size_t) { return Align::Left; });
  for (const auto& row : rows_)
    line([&](size_t c) { return row[c].value_or(null_marker_); }, [&](size_t c) { return columns_[c].align; });
}

std::string one_line(const std::optional<std::string>& raw) {
  if (!raw) return "";
  std::string s = *raw;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n' || c == '\t') c = ' ';
  return s;
}

}  // namespace tunectl
