#include "ctl/table.h"

#include <algorithm>

namespace jmem::ctl {

std::string renderTable(const std::vector<Column>& columns, const std::vector<std::vector<std::string>>& rows,
                        bool legend) {
  std::vector<std::size_t> widths(columns.size(), 0);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (legend) widths[c] = columns[c].header.size();
    for (const auto& row : rows) widths[c] = std::max(widths[c], c < row.size() ? row[c].size() : 0);
  }
  std::string out;
  auto line = [&](auto cell) {
    std::string text;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::string value = cell(c);
      const std::string pad(widths[c] - std::min(widths[c], value.size()), ' ');
      if (c > 0) text += ' ';
      // The last left-aligned column is not padded: no trailing blanks.
      text += columns[c].right_aligned ? pad + value : (c + 1 == columns.size() ? value : value + pad);
    }
    out += text + '\n';
  };
  if (legend) line([&](std::size_t c) { return columns[c].header; });
  for (const auto& row : rows) line([&](std::size_t c) { return c < row.size() ? row[c] : std::string(); });
  return out;
}

}  // namespace jmem::ctl
