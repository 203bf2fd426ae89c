#include "policy/nesting.h"

#include <cstdint>
#include <string>

namespace jmem::policy::detail {
namespace {

bool isBareKeyByte(char c) {
  // Bytes above ASCII too: a parser that reads Unicode bare keys must not see a longer chain than this.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Walks the text once, keeping the line and column (in characters, as toml++ counts them).
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool done() const { return at_ >= text_.size(); }
  char peek(std::size_t ahead = 0) const { return at_ + ahead < text_.size() ? text_[at_ + ahead] : '\0'; }
  bool startsWith(std::string_view token) const { return text_.substr(at_).starts_with(token); }
  SourceLocation here(std::string_view file) const {
    return SourceLocation{std::string(file), line_, column_};
  }

  void advance() {
    const char c = text_[at_++];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) {  // not a UTF-8 continuation byte
      ++column_;
    }
  }
  void advance(std::size_t count) {
    for (std::size_t i = 0; i < count && !done(); ++i) advance();
  }

  // Past the string that starts here (basic or literal, one line or several), as TOML reads it.
  void skipString() {
    const char quote = peek();
    const bool basic = quote == '"';
    const std::string triple(3, quote);
    if (startsWith(triple)) {
      advance(3);
      while (!done() && !startsWith(triple)) advance(basic && peek() == '\\' ? 2 : 1);
      advance(3);
      // Up to two quotes may end the content right before the closing three.
      for (int extra = 0; extra < 2 && peek() == quote; ++extra) advance();
      return;
    }
    advance();
    while (!done() && peek() != quote && peek() != '\n') {
      advance(basic && peek() == '\\' && peek(1) != '\n' ? 2 : 1);
    }
    if (peek() == quote) advance();
  }

  void skipComment() {
    while (!done() && peek() != '\n') advance();
  }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
  std::uint32_t line_ = 1;
  std::uint32_t column_ = 1;
};

}  // namespace

std::optional<Problem> nestingProblem(std::string_view text, std::string_view source_name) {
  Scanner scan(text);
  std::size_t depth = 0;
  // The dotted chain being read: a part (bare word or string) then '.' then a part... wherever it
  // stands, since a chain in a value is invalid TOML anyway and counting it too keeps the scan simple.
  std::size_t parts = 0;
  bool after_dot = false;
  SourceLocation chain_start;
  const auto part = [&](const SourceLocation& where) {
    if (after_dot && parts > 0) {
      ++parts;
    } else {
      parts = 1;
      chain_start = where;
    }
    after_dot = false;
  };
  while (!scan.done()) {
    const char c = scan.peek();
    const SourceLocation where = scan.here(source_name);
    if (c == '"' || c == '\'') {
      scan.skipString();
      part(where);
    } else if (isBareKeyByte(c)) {
      while (!scan.done() && isBareKeyByte(scan.peek())) scan.advance();
      part(where);
    } else if (c == '.') {
      if (parts > 0 && !after_dot) {
        after_dot = true;
      } else {
        parts = 0;
      }
      scan.advance();
    } else if (c == ' ' || c == '\t') {
      scan.advance();  // "a . b" is one key
    } else {
      parts = 0;
      after_dot = false;
      if (c == '#') {
        scan.skipComment();
        continue;
      }
      if (c == '[' || c == '{') {
        if (++depth > kMaxNesting) {
          return Problem{where,
                         "more than " + std::to_string(kMaxNesting) +
                             " arrays or inline tables nested in one another (a policy needs 3 at most)"};
        }
      } else if ((c == ']' || c == '}') && depth > 0) {
        --depth;
      }
      scan.advance();
    }
    if (parts > kMaxKeyParts) {
      return Problem{chain_start, "a dotted key of more than " + std::to_string(kMaxKeyParts) +
                                      " parts (a policy needs 3 at most)"};
    }
  }
  return std::nullopt;
}

}  // namespace jmem::policy::detail
