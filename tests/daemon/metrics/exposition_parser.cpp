#include "exposition_parser.h"

#include <cmath>
#include <set>

#include "core/number_text.h"

namespace jmem::test {
namespace {

bool nameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool nameChar(char c) {
  return nameStart(c) || (c >= '0' && c <= '9');
}

bool metricName(std::string_view s) {
  if (s.empty() || !(nameStart(s[0]) || s[0] == ':')) return false;
  for (char c : s) {
    if (!(nameChar(c) || c == ':')) return false;
  }
  return true;
}

bool labelName(std::string_view s) {
  if (s.empty() || !nameStart(s[0]) || s.starts_with("__")) return false;
  for (char c : s) {
    if (!nameChar(c)) return false;
  }
  return true;
}

// Well-formed UTF-8, written out byte by byte (no shared code with the writer).
bool validUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xbf;
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      n = 1;
    } else if (b == 0xe0) {
      n = 2, lo = 0xa0;
    } else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef) {
      n = 2;
    } else if (b == 0xed) {
      n = 2, hi = 0x9f;
    } else if (b == 0xf0) {
      n = 3, lo = 0x90;
    } else if (b >= 0xf1 && b <= 0xf3) {
      n = 3;
    } else if (b == 0xf4) {
      n = 3, hi = 0x8f;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    const auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < lo || second > hi) return false;
    for (std::size_t k = 2; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c < 0x80 || c > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}

bool parseValue(std::string_view text, double& value) {
  if (text == "NaN") {
    value = std::nan("");
    return true;
  }
  if (text == "+Inf" || text == "-Inf") {
    value = text[0] == '+' ? HUGE_VAL : -HUGE_VAL;
    return true;
  }
  if (text.empty()) return false;
  const auto parsed = parseDouble(text);
  if (parsed) value = *parsed;
  return parsed.has_value();
}

class LineParser {
 public:
  explicit LineParser(std::string_view line) : rest_(line) {}

  std::string_view name() {
    std::size_t n = 0;
    while (n < rest_.size() && (nameChar(rest_[n]) || rest_[n] == ':')) ++n;
    const std::string_view taken = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return taken;
  }
  bool consume(char c) {
    if (rest_.empty() || rest_[0] != c) return false;
    rest_.remove_prefix(1);
    return true;
  }
  // The body of a quoted label value, unescaped; false on a bad escape or a missing quote.
  bool quoted(std::string& out) {
    if (!consume('"')) return false;
    while (!rest_.empty()) {
      const char c = rest_[0];
      rest_.remove_prefix(1);
      if (c == '"') return true;
      if (c == '\n') return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (rest_.empty()) return false;
      const char e = rest_[0];
      rest_.remove_prefix(1);
      if (e == '\\' || e == '"') {
        out += e;
      } else if (e == 'n') {
        out += '\n';
      } else {
        return false;
      }
    }
    return false;
  }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

Error at(std::size_t line, const std::string& what) {
  return Error{"line " + std::to_string(line) + ": " + what};
}

bool unescapeHelp(std::string_view text, std::string& out) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return false;
    if (text[i] == '\\') {
      out += '\\';
    } else if (text[i] == 'n') {
      out += '\n';
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<ParsedExposition> parseExposition(std::string_view text) {
  if (!text.empty() && text.back() != '\n') return Error{"the last line has no newline"};
  if (!validUtf8(text)) return Error{"not valid UTF-8"};
  ParsedExposition families;
  std::set<std::string> declared;
  std::set<std::string> series;
  bool help_seen = false;
  bool type_seen = false;
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    ++number;
    if (line.empty()) return at(number, "blank line");
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const bool is_help = line[2] == 'H';
      LineParser p(line.substr(7));
      const std::string name(p.name());
      if (!metricName(name)) return at(number, "invalid metric name \"" + name + "\"");
      if (!p.consume(' ')) return at(number, "no space after the name");
      if (families.empty() || families.back().name != name) {
        if (!declared.insert(name).second) return at(number, "family " + name + " declared twice");
        families.push_back(ParsedFamily{name, {}, {}, {}});
        help_seen = type_seen = false;
      }
      ParsedFamily& family = families.back();
      if (is_help) {
        if (help_seen) return at(number, "HELP twice for " + name);
        if (!unescapeHelp(p.rest(), family.help)) return at(number, "bad escape in HELP");
        if (family.help.empty()) return at(number, "empty HELP for " + name);
        help_seen = true;
      } else {
        if (type_seen) return at(number, "TYPE twice for " + name);
        if (!family.samples.empty()) return at(number, "TYPE after samples of " + name);
        family.type = std::string(p.rest());
        if (family.type != "gauge" && family.type != "counter" && family.type != "untyped")
          return at(number, "unknown type \"" + family.type + "\"");
        type_seen = true;
      }
      continue;
    }
    if (line[0] == '#') return at(number, "a comment other than HELP or TYPE");
    LineParser p(line);
    ParsedSample sample;
    sample.name = std::string(p.name());
    if (!metricName(sample.name)) return at(number, "invalid metric name");
    if (families.empty() || families.back().name != sample.name)
      return at(number, "sample of " + sample.name + " outside its family");
    if (!help_seen || !type_seen) return at(number, "sample of " + sample.name + " before its HELP and TYPE");
    std::string key = sample.name + "{";
    if (p.consume('{')) {
      while (!p.consume('}')) {
        if (!sample.labels.empty() && !p.consume(',')) return at(number, "expected , between labels");
        const std::string label(p.name());
        if (!labelName(label)) return at(number, "invalid label name \"" + label + "\"");
        if (!p.consume('=')) return at(number, "expected = after " + label);
        std::string value;
        if (!p.quoted(value)) return at(number, "bad label value for " + label);
        if (!sample.labels.emplace(label, value).second) return at(number, "label " + label + " twice");
      }
    }
    // An empty value is no label to Prometheus: {a=""} and {} are one series.
    for (const auto& [label, value] : sample.labels) {
      if (!value.empty()) key += label + "=" + std::to_string(value.size()) + ":" + value;
    }
    if (!p.consume(' ')) return at(number, "expected a space before the value");
    if (p.rest().find(' ') != std::string_view::npos) return at(number, "a time stamp or trailing text");
    if (!parseValue(p.rest(), sample.value))
      return at(number, "invalid value \"" + std::string(p.rest()) + "\"");
    if (!series.insert(key).second) return at(number, "duplicate series " + std::string(line));
    families.back().samples.push_back(std::move(sample));
  }
  for (const ParsedFamily& family : families) {
    if (family.help.empty() || family.type.empty())
      return Error{"family " + family.name + " lacks HELP or TYPE"};
  }
  return families;
}

const ParsedFamily* findFamily(const ParsedExposition& exposition, std::string_view name) {
  for (const ParsedFamily& family : exposition) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

}  // namespace jmem::test
