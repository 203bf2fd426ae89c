#include "core/text.h"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace jmem;

TEST_CASE("parseUnsigned accepts plain decimals and rejects signs, spaces and overflow", "[core]") {
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

TEST_CASE("kibToBytes multiplies by 1024 and rejects sizes above a pebibyte", "[core]") {
  CHECK(kibToBytes(118372) == 118372u * 1024u);
  CHECK(kibToBytes(kMaxPlausibleBytes / 1024) == kMaxPlausibleBytes);
  CHECK_FALSE(kibToBytes(kMaxPlausibleBytes / 1024 + 1));
  CHECK_FALSE(kibToBytes(UINT64_MAX));
}

TEST_CASE("addSaturating clamps instead of wrapping", "[core]") {
  CHECK(addSaturating(1, 2) == 3u);
  CHECK(addSaturating(UINT64_MAX - 1, 5) == UINT64_MAX);
}

TEST_CASE("multiplySaturating clamps instead of wrapping", "[core]") {
  CHECK(multiplySaturating(3, 4096) == 12288u);
  CHECK(multiplySaturating(0, UINT64_MAX) == 0u);
  CHECK(multiplySaturating(UINT64_MAX / 2 + 1, 2) == UINT64_MAX);
}

TEST_CASE("sanitizeName keeps valid UTF-8 and replaces control characters and invalid bytes", "[core]") {
  CHECK(sanitizeName("gnome-shell") == "gnome-shell");
  CHECK(sanitizeName("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(sanitizeName(std::string("a\0b\nc\x7f", 6)) == "a?b?c?");
  CHECK(sanitizeName("\xff\xfe") == "??");
  CHECK(sanitizeName("\xc3") == "?");              // truncated sequence
  CHECK(sanitizeName("\xed\xa0\x80") == "???");    // UTF-16 surrogate
  CHECK(sanitizeName("\xc0\xaf") == "??");         // overlong encoding
  CHECK(sanitizeName("\xc2\x9b[31m") == "?[31m");  // C1 control (CSI): terminals act on it
}

TEST_CASE("nextLine splits on newlines and keeps a last line without one", "[core]") {
  std::string_view text = "a\nb\n\nc";
  std::string_view line;
  std::vector<std::string_view> lines;
  while (nextLine(text, line)) lines.push_back(line);
  CHECK(lines == std::vector<std::string_view>{"a", "b", "", "c"});
}

TEST_CASE("terminalSafe keeps printable ASCII and UTF-8 text as it is", "[core]") {
  CHECK(terminalSafe("gdm3.service: unknown key \"x\"") == "gdm3.service: unknown key \"x\"");
  CHECK(terminalSafe("caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80") ==
        "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80");
  CHECK(terminalSafe("dev-disk-by\\x2duuid.device") == "dev-disk-by\\x2duuid.device");
}

TEST_CASE("terminalSafe shows C0 controls and DEL as visible escapes, so a newline cannot start a line",
          "[core]") {
  CHECK(terminalSafe("a\x1b[2Jb") == "a\\x1b[2Jb");
  CHECK(terminalSafe("x.toml\nx.toml:1:1: forged") == "x.toml\\nx.toml:1:1: forged");
  CHECK(terminalSafe("\r\t") == "\\r\\t");
  CHECK(terminalSafe(std::string("\0\x07\x7f", 3)) == "\\x00\\x07\\x7f");
}

TEST_CASE("terminalSafe escapes C1 controls whether encoded as UTF-8 or as raw bytes", "[core]") {
  CHECK(terminalSafe("\xc2\x9b"
                     "31m") == "\\u009b31m");
  CHECK(terminalSafe("\xc2\x85") == "\\u0085");
  CHECK(terminalSafe("\x9b") == "\\x9b");
  CHECK(terminalSafe("\xc2\xa0") == "\xc2\xa0");  // no-break space is a visible, ordinary character
}

TEST_CASE("terminalSafe escapes bidirectional, zero-width and separator code points", "[core]") {
  // Each as UTF-8 and the escape it must become.
  const std::vector<std::pair<std::string, std::string>> cases{
      {"\xe2\x80\xaa", "\\u202a"}, {"\xe2\x80\xae", "\\u202e"}, {"\xe2\x81\xa6", "\\u2066"},
      {"\xe2\x81\xa9", "\\u2069"}, {"\xe2\x80\x8b", "\\u200b"}, {"\xe2\x80\x8f", "\\u200f"},
      {"\xe2\x80\xa8", "\\u2028"}, {"\xe2\x80\xa9", "\\u2029"}, {"\xef\xbb\xbf", "\\ufeff"},
      {"\xd8\x9c", "\\u061c"},
  };
  for (const auto& [raw, escaped] : cases) {
    CAPTURE(escaped);
    CHECK(terminalSafe("a" + raw + "b") == "a" + escaped + "b");
  }
  CHECK(terminalSafe("\xe2\x80\x90") == "\xe2\x80\x90");  // U+2010, a hyphen, is next to them but visible
}

TEST_CASE("terminalSafe escapes each byte of invalid UTF-8", "[core]") {
  CHECK(terminalSafe("\xff\xfe") == "\\xff\\xfe");
  CHECK(terminalSafe("\xc3") == "\\xc3");                    // truncated sequence
  CHECK(terminalSafe("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // UTF-16 surrogate
  CHECK(terminalSafe("\xc0\xaf") == "\\xc0\\xaf");           // overlong encoding
}

TEST_CASE("terminalSafe output is itself safe: escaping twice changes nothing", "[core]") {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  const std::string once = terminalSafe(every_byte + "\xe2\x80\xae\xc2\x9b");
  CHECK(terminalSafe(once) == once);
  const bool only_printable = std::all_of(once.begin(), once.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte != 0x7f;
  });
  CHECK(only_printable);
  CHECK(once.find('\n') == std::string::npos);
}

TEST_CASE("terminalSafeLines keeps the newlines between lines and escapes the rest of each", "[core]") {
  CHECK(terminalSafeLines("2 problems:\na\x1b.toml: x\nb.toml:\xe2\x80\xae y") ==
        "2 problems:\na\\x1b.toml: x\nb.toml:\\u202e y");
  CHECK(terminalSafeLines("one\r\n") == "one\\r");
}

TEST_CASE("formatPermyriad shows a share in 1/10000 as a percentage with two decimals", "[core]") {
  CHECK(formatPermyriad(0) == "0.00%");
  CHECK(formatPermyriad(5) == "0.05%");
  CHECK(formatPermyriad(1234) == "12.34%");
  CHECK(formatPermyriad(10000) == "100.00%");
}

TEST_CASE("join puts the separator between parts only", "[core]") {
  CHECK(join({}, ", ").empty());
  CHECK(join({"a"}, ", ") == "a");
  CHECK(join({"a", "b", "c"}, "; ") == "a; b; c");
}

TEST_CASE("inQuotes quotes a value with what is unsafe in it replaced", "[core]") {
  CHECK(inQuotes("quiet") == "\"quiet\"");
  CHECK(inQuotes("a\nb") == "\"a?b\"");
}

TEST_CASE("isControlCharacter holds C0 controls but the tab, and DEL", "[core]") {
  CHECK(isControlCharacter('\n'));
  CHECK(isControlCharacter('\0'));
  CHECK(isControlCharacter('\x7f'));
  CHECK_FALSE(isControlCharacter('\t'));
  CHECK_FALSE(isControlCharacter(' '));
  CHECK_FALSE(isControlCharacter('\xc3'));
}
