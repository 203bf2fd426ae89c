#include "ctl/table.h"

#include <algorithm>

namespace jmem::ctl {

std::size_t displayWidth(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;  // to the final byte
      continue;
    }
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++width;  // not a continuation byte
  }
  return width;
}

std::string renderTable(const std::vector<Column>& columns, const std::vector<std::vector<std::string>>& rows,
                        bool legend) {
  std::vector<std::size_t> widths(columns.size(), 0);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (legend) widths[c] = displayWidth(columns[c].header);
    for (const auto& row : rows) widths[c] = std::max(widths[c], c < row.size() ? displayWidth(row[c]) : 0);
  }
  std::string out;
  auto line = [&](auto cell) {
    std::string text;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::string value = cell(c);
      const std::string pad(widths[c] - std::min(widths[c], displayWidth(value)), ' ');
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
