#include "core/text.h"

#include <charconv>
#include <cstdio>
#include <limits>

namespace jmem {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

bool nextLine(std::string_view& text, std::string_view& line) {
  if (text.empty()) return false;
  const auto end = text.find('\n');
  if (end == std::string_view::npos) {
    line = text;
    text = {};
  } else {
    line = text.substr(0, end);
    text.remove_prefix(end + 1);
  }
  return true;
}

std::optional<std::uint64_t> parseUnsigned(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> kibToBytes(std::uint64_t kib) {
  if (kib > kMaxPlausibleBytes / 1024) return std::nullopt;
  return kib * 1024;
}

std::uint64_t addSaturating(std::uint64_t a, std::uint64_t b) {
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  return a > max - b ? max : a + b;
}

std::uint64_t multiplySaturating(std::uint64_t a, std::uint64_t b) {
  std::uint64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? std::numeric_limits<std::uint64_t>::max() : product;
}

std::string formatIec(std::uint64_t bytes) {
  static constexpr char kUnits[] = {'B', 'K', 'M', 'G', 'T', 'P', 'E'};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < sizeof kUnits) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  if (unit == 0) {
    std::snprintf(text, sizeof text, "%lluB", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(text, sizeof text, "%.1f%c", value, kUnits[unit]);
  }
  return text;
}

std::string formatPermyriad(std::uint32_t permyriad) {
  char text[16];
  std::snprintf(text, sizeof text, "%u.%02u%%", permyriad / 100, permyriad % 100);
  return text;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string joined;
  for (const auto& part : parts) {
    if (!joined.empty()) joined += separator;
    joined += part;
  }
  return joined;
}

std::string inQuotes(std::string_view text) {
  return "\"" + sanitizeName(text) + "\"";
}

bool isControlCharacter(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && c != '\t') || byte == 0x7f;
}

namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not one.
std::size_t utf8SequenceLength(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  std::uint32_t min_code = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, min_code = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, min_code = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, min_code = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  std::uint32_t code = lead & (0x7f >> length);
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3f);
  }
  if (code < min_code || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

std::uint32_t decodeUtf8(std::string_view text, std::size_t i, std::size_t length) {
  std::uint32_t code = static_cast<unsigned char>(text[i]) & (0x7f >> length);
  for (std::size_t k = 1; k < length; ++k)
    code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
  return code;
}

// Code points a terminal acts on or shows as nothing, so that what is printed differs from what is
// read: C1 controls (U+009B is CSI), the Arabic letter mark, zero-width spaces, joiners and marks,
// the line and paragraph separators, bidi embeddings, overrides and isolates, invisible operators,
// the byte order mark and the interlinear annotation controls.
bool isInvisibleOrControl(std::uint32_t code) {
  return (code >= 0x80 && code <= 0x9f) || code == 0x61c || code == 0x180e ||
         (code >= 0x200b && code <= 0x200f) || (code >= 0x2028 && code <= 0x202e) ||
         (code >= 0x2060 && code <= 0x206f) || code == 0xfeff || (code >= 0xfff9 && code <= 0xfffb);
}

void appendHex(std::string& out, const char* prefix, std::uint32_t value, int digits) {
  char text[16];
  std::snprintf(text, sizeof text, "%s%0*x", prefix, digits, static_cast<unsigned>(value));
  out += text;
}

}  // namespace

std::string terminalSafe(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const auto byte = static_cast<unsigned char>(raw[i]);
    if (byte >= 0x20 && byte < 0x7f) {
      out.push_back(raw[i++]);
      continue;
    }
    if (byte == '\n' || byte == '\r' || byte == '\t') {
      out += byte == '\n' ? "\\n" : byte == '\r' ? "\\r" : "\\t";
      ++i;
      continue;
    }
    const std::size_t length = byte < 0x80 ? 0 : utf8SequenceLength(raw, i);
    if (length == 0) {  // C0, DEL or a byte that is not valid UTF-8
      appendHex(out, "\\x", byte, 2);
      ++i;
      continue;
    }
    const std::uint32_t code = decodeUtf8(raw, i, length);
    if (isInvisibleOrControl(code)) {
      appendHex(out, "\\u", code, 4);
    } else {
      out.append(raw.substr(i, length));
    }
    i += length;
  }
  return out;
}

std::string terminalSafeLines(std::string_view raw) {
  std::string out;
  std::string_view line;
  bool first = true;
  while (nextLine(raw, line)) {
    if (!first) out.push_back('\n');
    out += terminalSafe(line);
    first = false;
  }
  return out;
}

std::string sanitizeName(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const auto byte = static_cast<unsigned char>(raw[i]);
    if (byte < 0x80) {
      out.push_back(byte < 0x20 || byte == 0x7f ? '?' : raw[i]);
      ++i;
    } else if (const std::size_t length = utf8SequenceLength(raw, i)) {
      // U+0080..U+009F are the C1 control characters (U+009B is CSI, which terminals act on).
      const bool c1_control = byte == 0xc2 && static_cast<unsigned char>(raw[i + 1]) < 0xa0;
      if (c1_control) {
        out.push_back('?');
      } else {
        out.append(raw.substr(i, length));
      }
      i += length;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

}  // namespace jmem
