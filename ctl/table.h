#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jmem::ctl {

// Aligned columns the way systemctl prints them: a header (unless no legend), numbers right-aligned.
struct Column {
  std::string header;
  bool right_aligned = false;
};

// The columns `text` takes on a terminal: SGR colour sequences none, a combining mark none, a wide
// character (CJK, emoji) two, any other character one.
std::size_t displayWidth(std::string_view text);
// The longest start of `text` that takes at most `columns`, cut between characters.
std::string fitWidth(std::string_view text, std::size_t columns);

std::string renderTable(const std::vector<Column>& columns, const std::vector<std::vector<std::string>>& rows,
                        bool legend);

}  // namespace jmem::ctl
