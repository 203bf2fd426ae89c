#pragma once

#include <string>
#include <vector>

namespace jmem::ctl {

// Aligned columns the way systemctl prints them: a header (unless no legend), numbers right-aligned.
struct Column {
  std::string header;
  bool right_aligned = false;
};

std::string renderTable(const std::vector<Column>& columns, const std::vector<std::vector<std::string>>& rows,
                        bool legend);

}  // namespace jmem::ctl
