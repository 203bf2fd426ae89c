#include "ctl/table.h"

#include <algorithm>

namespace jmem::ctl {

namespace {

struct CodepointRange {
  char32_t first, last;
};

// Characters a terminal draws two columns wide (East Asian Wide and Fullwidth, emoji), as wcwidth does.
constexpr CodepointRange kWide[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},   {0x23F0, 0x23F0},
    {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},   {0x2648, 0x2653},   {0x267F, 0x267F},
    {0x2693, 0x2693},   {0x26A1, 0x26A1},   {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},
    {0x26CE, 0x26CE},   {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
    {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},   {0x2728, 0x2728},
    {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
    {0x27B0, 0x27B0},   {0x27BF, 0x27BF},   {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},
    {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
    {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},
    {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4}, {0x17000, 0x18CFF}, {0x1B000, 0x1B2FF},
    {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F251},
    {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7EB}, {0x1F90C, 0x1F9FF}, {0x1FA70, 0x1FAFF},
    {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

// Characters drawn on the one before them: combining marks. (Zero-width controls never get here:
// terminalSafe escapes them.)
constexpr CodepointRange kCombining[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F},
    {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},
    {0x20D0, 0x20FF}, {0x302A, 0x302D}, {0x3099, 0x309A}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
};

template <std::size_t N>
bool within(char32_t c, const CodepointRange (&ranges)[N]) {
  const auto* it = std::upper_bound(std::begin(ranges), std::end(ranges), c,
                                    [](char32_t value, const CodepointRange& r) { return value < r.first; });
  return it != std::begin(ranges) && c <= (it - 1)->last;
}

// The character at `i` (advanced past it) and the columns it takes; a stray byte takes one.
std::size_t nextWidth(std::string_view text, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  const std::size_t length = lead < 0x80           ? 1
                             : (lead >> 5) == 0x6  ? 2
                             : (lead >> 4) == 0xE  ? 3
                             : (lead >> 3) == 0x1E ? 4
                                                   : 1;
  bool whole = length > 1 && i + length <= text.size();
  for (std::size_t k = 1; whole && k < length; ++k)
    whole = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
  if (!whole) {
    ++i;
    return 1;
  }
  char32_t c = lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  i += length;
  if (within(c, kCombining)) return 0;
  return within(c, kWide) ? 2 : 1;
}

// Past an SGR sequence at `i`, if one starts there.
bool skipEscape(std::string_view text, std::size_t& i) {
  if (text[i] != '\x1b' || i + 1 >= text.size() || text[i + 1] != '[') return false;
  i += 2;
  while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;  // to the final byte
  if (i < text.size()) ++i;
  return true;
}

}  // namespace

std::size_t displayWidth(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (!skipEscape(text, i)) width += nextWidth(text, i);
  }
  return width;
}

std::string fitWidth(std::string_view text, std::size_t columns) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    if (skipEscape(text, i)) continue;
    width += nextWidth(text, i);
    if (width > columns) return std::string(text.substr(0, start));
  }
  return std::string(text);
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
