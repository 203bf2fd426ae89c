#include "sources/extlinux.h"

#include <cstdio>

#include "core/file_reader.h"
#include "core/text.h"

namespace jmem {
namespace {

// L4TLauncher keeps at most this many LABELs (MAX_EXTLINUX_OPTIONS) and ignores the rest.
constexpr std::size_t kMaxBootedLabels = 10;

enum class Keyword {
  kNone,
  kOther,
  kTimeout,
  kDefault,
  kMenuTitle,
  kLabel,
  kMenuLabel,
  kLinux,
  kFdt,
  kInitrd,
  kAppend
};

const char* keywordName(Keyword keyword) {
  switch (keyword) {
    case Keyword::kTimeout:
      return "TIMEOUT";
    case Keyword::kDefault:
      return "DEFAULT";
    case Keyword::kMenuTitle:
      return "MENU TITLE";
    case Keyword::kLabel:
      return "LABEL";
    case Keyword::kMenuLabel:
      return "MENU LABEL";
    case Keyword::kLinux:
      return "LINUX";
    case Keyword::kFdt:
      return "FDT";
    case Keyword::kInitrd:
      return "INITRD";
    case Keyword::kAppend:
      return "APPEND";
    case Keyword::kNone:
    case Keyword::kOther:
      break;
  }
  return "";
}

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// One line taken apart; offsets are within the line (without its terminator).
struct LineParts {
  Keyword keyword = Keyword::kNone;
  std::size_t indent = 0;          // leading blanks
  std::size_t keyword_end = 0;     // after the keyword ("MENU LABEL" counts as one)
  std::size_t argument_begin = 0;  // after the blanks that follow the keyword
  std::size_t argument_end = 0;    // before trailing blanks and a comment
};

std::size_t skipBlanks(std::string_view line, std::size_t pos) {
  while (pos < line.size() && isBlank(line[pos])) ++pos;
  return pos;
}

std::size_t skipWord(std::string_view line, std::size_t pos) {
  while (pos < line.size() && !isBlank(line[pos])) ++pos;
  return pos;
}

LineParts splitLine(std::string_view line) {
  // L4TLauncher cuts every line at its first '#'.
  const std::string_view code = line.substr(0, line.find('#'));
  LineParts parts;
  parts.indent = skipBlanks(code, 0);
  if (parts.indent == code.size()) return parts;  // blank or a comment
  const std::size_t word_end = skipWord(code, parts.indent);
  const std::string_view word = code.substr(parts.indent, word_end - parts.indent);
  parts.keyword_end = word_end;
  parts.keyword = Keyword::kOther;
  if (equalsIgnoringCase(word, "MENU")) {
    const std::size_t second = skipBlanks(code, word_end);
    const std::size_t second_end = skipWord(code, second);
    const std::string_view sub = code.substr(second, second_end - second);
    if (equalsIgnoringCase(sub, "LABEL")) parts.keyword = Keyword::kMenuLabel;
    if (equalsIgnoringCase(sub, "TITLE")) parts.keyword = Keyword::kMenuTitle;
    if (parts.keyword != Keyword::kOther) parts.keyword_end = second_end;
  } else {
    static constexpr std::pair<std::string_view, Keyword> kWords[] = {
        {"TIMEOUT", Keyword::kTimeout}, {"DEFAULT", Keyword::kDefault}, {"LABEL", Keyword::kLabel},
        {"LINUX", Keyword::kLinux},     {"KERNEL", Keyword::kLinux},    {"FDT", Keyword::kFdt},
        {"DEVICETREE", Keyword::kFdt},  {"INITRD", Keyword::kInitrd},   {"APPEND", Keyword::kAppend},
    };
    for (const auto& [name, keyword] : kWords) {
      if (equalsIgnoringCase(word, name)) parts.keyword = keyword;
    }
  }
  parts.argument_begin = skipBlanks(code, parts.keyword_end);
  std::size_t end = code.size();
  while (end > parts.argument_begin && isBlank(code[end - 1])) --end;
  parts.argument_end = end;
  return parts;
}

std::string at(std::string_view source, std::size_t line) {
  return std::string(source) + ":" + std::to_string(line) + ": ";
}

}  // namespace

std::string_view ExtlinuxConfig::line(std::size_t number) const {
  if (number == 0 || number > lines_.size()) return {};
  const LineSpan& span = lines_[number - 1];
  return std::string_view(text_).substr(span.offset, span.length);
}

const ExtlinuxEntry* ExtlinuxConfig::entry(std::string_view label) const {
  for (const auto& candidate : entries_) {
    if (candidate.label.text == label) return &candidate;
  }
  return nullptr;
}

const ExtlinuxEntry* ExtlinuxConfig::defaultEntry() const {
  return default_index_ < entries_.size() ? &entries_[default_index_] : nullptr;
}

// parseExtlinux's stages over the config they fill: lines, then keywords line by line, then the
// entries as a whole.
class ExtlinuxParser {
 public:
  ExtlinuxParser(std::string_view text, std::string_view source) : source_(source) {
    config_.text_ = std::string(text);
    config_.source_name_ = source_;
  }

  Result<ExtlinuxConfig> parse() && {
    if (config_.text_.size() > kMaxExtlinuxBytes) {
      return Error{source_ + ": larger than " + std::to_string(kMaxExtlinuxBytes) + " bytes"};
    }
    if (auto split = splitLines(); !split) return split.error();
    for (std::size_t number = 1; number <= config_.lines_.size(); ++number) {
      if (auto read = readLine(number); !read) return read.error();
    }
    if (auto checked = checkEntries(); !checked) return checked.error();
    return std::move(config_);
  }

 private:
  // The first line of each per-entry keyword within the current LABEL, 0 while unseen.
  struct Seen {
    std::size_t menu_label = 0, kernel = 0, fdt = 0, initrd = 0, append = 0;
  };

  // Lines, their terminators, and no binary data.
  Status splitLines() {
    const std::string_view text = config_.text_;
    for (std::size_t offset = 0; offset < text.size();) {
      const std::size_t newline = text.find('\n', offset);
      ExtlinuxConfig::LineSpan span;
      span.offset = offset;
      span.next = newline == std::string_view::npos ? text.size() : newline + 1;
      std::size_t end = newline == std::string_view::npos ? text.size() : newline;
      if (end > offset && text[end - 1] == '\r') --end;
      span.length = end - offset;
      config_.lines_.push_back(span);
      const std::size_t number = config_.lines_.size();
      for (std::size_t i = offset; i < end; ++i) {
        if (text[i] == '\0') return Error{at(source_, number) + "NUL byte; not a text file"};
        if (isControlCharacter(text[i])) {
          char code[8];
          std::snprintf(code, sizeof code, "0x%02x",
                        static_cast<unsigned>(static_cast<unsigned char>(text[i])));
          return Error{at(source_, number) + "control character " + code + "; not a text file"};
        }
      }
      offset = span.next;
    }
    return ok();
  }

  Status readLine(std::size_t number) {
    const std::string_view line = config_.line(number);
    const LineParts parts = splitLine(line);
    if (parts.keyword == Keyword::kNone || parts.keyword == Keyword::kOther) return ok();
    const std::string argument(line.substr(parts.argument_begin, parts.argument_end - parts.argument_begin));
    const ExtlinuxValue value{argument, number};
    if (std::optional<ExtlinuxValue>* global = globalOf(parts.keyword))
      return readGlobal(parts.keyword, *global, value);
    if (parts.keyword == Keyword::kLabel) return readLabel(value);
    return readEntryLine(parts.keyword, value);
  }

  std::optional<ExtlinuxValue>* globalOf(Keyword keyword) {
    if (keyword == Keyword::kTimeout) return &config_.timeout_;
    if (keyword == Keyword::kDefault) return &config_.default_label_;
    if (keyword == Keyword::kMenuTitle) return &config_.menu_title_;
    return nullptr;
  }

  Status readGlobal(Keyword keyword, std::optional<ExtlinuxValue>& global, const ExtlinuxValue& value) {
    if (global) {
      return Error{at(source_, value.line) + "second " + keywordName(keyword) + " (the first is on line " +
                   std::to_string(global->line) + ")"};
    }
    if (keyword == Keyword::kDefault && value.text.empty()) {
      return Error{at(source_, value.line) + "DEFAULT without a label"};
    }
    global = value;
    return ok();
  }

  Status readLabel(const ExtlinuxValue& value) {
    if (value.text.empty()) return Error{at(source_, value.line) + "LABEL without a name"};
    if (const ExtlinuxEntry* first = config_.entry(value.text)) {
      return Error{at(source_, value.line) + "duplicate LABEL " + inQuotes(value.text) +
                   " (the first is on line " + std::to_string(first->label.line) + ")"};
    }
    ExtlinuxEntry entry;
    entry.label = value;
    config_.entries_.push_back(std::move(entry));
    seen_.emplace_back();
    return ok();
  }

  // MENU LABEL, LINUX, FDT, INITRD or APPEND: once each within a LABEL, and all but APPEND with a value.
  Status readEntryLine(Keyword keyword, const ExtlinuxValue& value) {
    const char* name = keywordName(keyword);
    if (config_.entries_.empty()) return Error{at(source_, value.line) + name + " before the first LABEL"};
    ExtlinuxEntry& entry = config_.entries_.back();
    Seen& seen = seen_.back();
    const auto [first_line, field] = [&]() -> std::pair<std::size_t*, std::optional<ExtlinuxValue>*> {
      switch (keyword) {
        case Keyword::kMenuLabel:
          return {&seen.menu_label, &entry.menu_label};
        case Keyword::kLinux:
          return {&seen.kernel, nullptr};  // required: not optional
        case Keyword::kFdt:
          return {&seen.fdt, &entry.fdt};
        case Keyword::kInitrd:
          return {&seen.initrd, &entry.initrd};
        default:
          return {&seen.append, &entry.append};
      }
    }();
    if (*first_line != 0) {
      return Error{at(source_, value.line) + "second " + name + " in LABEL " + inQuotes(entry.label.text) +
                   " (the first is on line " + std::to_string(*first_line) + ")"};
    }
    *first_line = value.line;
    if (value.text.empty() && keyword != Keyword::kAppend) {
      return Error{at(source_, value.line) + name + " without a value"};
    }
    if (field != nullptr) {
      *field = value;
    } else {
      entry.kernel = value;
    }
    return ok();
  }

  Status checkEntries() {
    if (config_.entries_.empty()) return Error{source_ + ": no LABEL"};
    for (const auto& entry : config_.entries_) {
      if (entry.kernel.line == 0) {
        return Error{at(source_, entry.label.line) + "LABEL " + inQuotes(entry.label.text) +
                     " has no LINUX line"};
      }
    }
    if (!config_.default_label_) return ok();
    const ExtlinuxValue& label = *config_.default_label_;
    const ExtlinuxEntry* chosen = config_.entry(label.text);
    if (chosen == nullptr) {
      return Error{at(source_, label.line) + "DEFAULT names LABEL " + inQuotes(label.text) +
                   ", which does not exist"};
    }
    config_.default_index_ = static_cast<std::size_t>(chosen - config_.entries_.data());
    if (config_.default_index_ >= kMaxBootedLabels) {
      return Error{at(source_, label.line) + "DEFAULT names LABEL " + inQuotes(label.text) + ", number " +
                   std::to_string(config_.default_index_ + 1) + "; the bootloader reads only the first " +
                   std::to_string(kMaxBootedLabels)};
    }
    return ok();
  }

  ExtlinuxConfig config_;
  std::string source_;
  std::vector<Seen> seen_;
};

Result<ExtlinuxConfig> parseExtlinux(std::string_view text, std::string_view source_name) {
  return ExtlinuxParser(text, source_name).parse();
}

Result<ExtlinuxConfig> readExtlinux(const std::filesystem::path& path) {
  auto text = readWholeFile(path, kMaxExtlinuxBytes);
  if (!text) return text.error();
  return parseExtlinux(*text, path.string());
}

Result<std::string> withDefaultAppend(const ExtlinuxConfig& config, std::string new_append) {
  for (const char c : new_append) {
    if (isControlCharacter(c))
      return Error{"Refusing to write APPEND arguments with a control character or line break"};
    if (c == '#')
      return Error{"Refusing to write APPEND arguments with '#': the bootloader reads it as a comment"};
  }
  const ExtlinuxEntry* entry = config.defaultEntry();
  if (entry == nullptr) return Error{config.source_name_ + ": no LABEL"};
  const std::string_view text = config.text_;
  std::string out;
  out.reserve(text.size() + new_append.size() + 16);

  if (entry->append) {
    const ExtlinuxConfig::LineSpan& span = config.lines_[entry->append->line - 1];
    const LineParts parts = splitLine(config.line(entry->append->line));
    const std::size_t begin = span.offset + parts.argument_begin;
    const std::size_t end = span.offset + parts.argument_end;
    out.append(text.substr(0, begin));
    if (parts.argument_begin == parts.keyword_end && !new_append.empty()) out.push_back(' ');
    out.append(new_append);
    if (end < text.size() && text[end] == '#' && !new_append.empty()) out.push_back(' ');
    out.append(text.substr(end));
  } else {
    const ExtlinuxConfig::LineSpan& span = config.lines_[entry->kernel.line - 1];
    const std::string_view kernel_line = config.line(entry->kernel.line);
    const LineParts parts = splitLine(kernel_line);
    std::string_view terminator =
        text.substr(span.offset + span.length, span.next - span.offset - span.length);
    std::string_view before_insert = text.substr(0, span.next);
    std::string added_terminator;
    if (terminator.empty()) {  // the LINUX line ends the file without a line break: end it as the one before
      const std::size_t number = entry->kernel.line;
      const ExtlinuxConfig::LineSpan* previous = number >= 2 ? &config.lines_[number - 2] : nullptr;
      const bool crlf = previous != nullptr && previous->next - previous->offset - previous->length == 2;
      added_terminator = crlf ? "\r\n" : "\n";
    }
    const std::string_view keyword = kernel_line.substr(parts.indent, parts.keyword_end - parts.indent);
    const bool lower_case = keyword.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string_view::npos;
    out.append(before_insert);
    out.append(added_terminator);
    out.append(kernel_line.substr(0, parts.indent));
    out.append(lower_case ? "append" : "APPEND");
    if (!new_append.empty()) out.append(" ").append(new_append);
    out.append(terminator);
    out.append(text.substr(span.next));
  }

  // What is written must read back as intended.
  auto reparsed = parseExtlinux(out, config.source_name_);
  if (!reparsed) return Error{"Refusing to write " + config.source_name_ + ": " + reparsed.error().message};
  const ExtlinuxEntry* after = reparsed->defaultEntry();
  const std::string expected(trim(new_append));
  if (after == nullptr || after->label.text != entry->label.text || !after->append ||
      after->append->text != expected) {
    return Error{"Refusing to write " + config.source_name_ +
                 ": the new APPEND line does not read back as given"};
  }
  return out;
}

}  // namespace jmem
