#include "core/text.h"

#include <catch2/catch.hpp>

using namespace jmem;

TEST_CASE("parseUnsigned accepts plain decimals and rejects signs, spaces and overflow") {
  CHECK(parseUnsigned("0") == 0u);
  CHECK(parseUnsigned("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(parseUnsigned("18446744073709551616"));
  CHECK_FALSE(parseUnsigned("-1"));
  CHECK_FALSE(parseUnsigned("+1"));
  CHECK_FALSE(parseUnsigned(" 1"));
  CHECK_FALSE(parseUnsigned("1 "));
  CHECK_FALSE(parseUnsigned(""));
  CHECK_FALSE(parseUnsigned("12a"));
}

TEST_CASE("kibToBytes multiplies by 1024 and rejects sizes above a pebibyte") {
  CHECK(kibToBytes(118372) == 118372u * 1024u);
  CHECK(kibToBytes(kMaxPlausibleBytes / 1024) == kMaxPlausibleBytes);
  CHECK_FALSE(kibToBytes(kMaxPlausibleBytes / 1024 + 1));
  CHECK_FALSE(kibToBytes(UINT64_MAX));
}

TEST_CASE("addSaturating clamps instead of wrapping") {
  CHECK(addSaturating(1, 2) == 3u);
  CHECK(addSaturating(UINT64_MAX - 1, 5) == UINT64_MAX);
}

TEST_CASE("sanitizeName keeps valid UTF-8 and replaces control characters and invalid bytes") {
  CHECK(sanitizeName("gnome-shell") == "gnome-shell");
  CHECK(sanitizeName("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(sanitizeName(std::string("a\0b\nc\x7f", 6)) == "a?b?c?");
  CHECK(sanitizeName("\xff\xfe") == "??");
  CHECK(sanitizeName("\xc3") == "?");              // truncated sequence
  CHECK(sanitizeName("\xed\xa0\x80") == "???");    // UTF-16 surrogate
  CHECK(sanitizeName("\xc0\xaf") == "??");         // overlong encoding
  CHECK(sanitizeName("\xc2\x9b[31m") == "?[31m");  // C1 control (CSI): terminals act on it
}

TEST_CASE("nextLine splits on newlines and keeps a last line without one") {
  std::string_view text = "a\nb\n\nc";
  std::string_view line;
  std::vector<std::string_view> lines;
  while (nextLine(text, line)) lines.push_back(line);
  CHECK(lines == std::vector<std::string_view>{"a", "b", "", "c"});
}
