#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "sources/kernel_cmdline.h"  // an APPEND text is a kernel command line: setArgument, removeArgument

namespace jmem {

// A real extlinux.conf is well under 2 KiB; a larger file is not one.
inline constexpr std::size_t kMaxExtlinuxBytes = 64 * 1024;

// The argument of one keyword and the 1-based line it is on.
struct ExtlinuxValue {
  std::string text;  // surrounding spaces and tabs removed, a trailing comment too
  std::size_t line = 0;
};

// One LABEL block. `kernel` is the LINUX line (a KERNEL line counts too, as in syslinux).
struct ExtlinuxEntry {
  ExtlinuxValue label;
  std::optional<ExtlinuxValue> menu_label;
  ExtlinuxValue kernel;
  std::optional<ExtlinuxValue> fdt;
  std::optional<ExtlinuxValue> initrd;
  std::optional<ExtlinuxValue> append;  // absent: the kernel gets no arguments from this file
};

// extlinux.conf as the bootloader reads it, with the original bytes kept for a rewrite.
//
// The syntax accepted is what NVIDIA's UEFI launcher (L4TLauncher, JetPack 5 and 6) and U-Boot read:
// one keyword per line (TIMEOUT, DEFAULT, MENU TITLE; then per LABEL: MENU LABEL, LINUX, FDT, INITRD,
// APPEND), leading spaces and tabs, '#' starting a comment anywhere on a line (L4TLauncher strips from
// the first '#'; syslinux only at the start of a line), "\n" or "\r\n" line ends. Keywords are matched
// case-insensitively as syslinux does; L4TLauncher itself only knows them in capitals. Other keywords
// (PROMPT, OVERLAYS, MENU BACKGROUND, ...) are kept and ignored. Labels are case-sensitive.
//
// The default entry: the LABEL named by DEFAULT. Without a DEFAULT line, syslinux itself shows its
// boot: prompt and boots nothing on its own; L4TLauncher and U-Boot boot the first LABEL, and so this
// parser names the first LABEL. A DEFAULT that names no LABEL is an error here (L4TLauncher would quietly
// boot the first LABEL instead, which is never what the file's author meant).
class ExtlinuxConfig {
 public:
  const std::string& text() const { return text_; }
  std::size_t lineCount() const { return lines_.size(); }
  // Line `number` (1-based) without its "\n" or "\r\n"; empty when out of range.
  std::string_view line(std::size_t number) const;

  const std::optional<ExtlinuxValue>& timeout() const { return timeout_; }  // tenths of a second
  const std::optional<ExtlinuxValue>& defaultLabel() const { return default_label_; }
  const std::optional<ExtlinuxValue>& menuTitle() const { return menu_title_; }
  const std::vector<ExtlinuxEntry>& entries() const { return entries_; }

  const ExtlinuxEntry* entry(std::string_view label) const;
  // The entry the next boot uses: the DEFAULT label, else the first LABEL. Never null on a parsed config.
  const ExtlinuxEntry* defaultEntry() const;

 private:
  struct LineSpan {
    std::size_t offset = 0;  // first byte of the line
    std::size_t length = 0;  // without the terminator
    std::size_t next = 0;    // first byte of the next line
  };

  friend class ExtlinuxParser;
  friend Result<std::string> withDefaultAppend(const ExtlinuxConfig& config, std::string new_append);

  std::string text_;
  std::string source_name_;
  std::vector<LineSpan> lines_;
  std::optional<ExtlinuxValue> timeout_;
  std::optional<ExtlinuxValue> default_label_;
  std::optional<ExtlinuxValue> menu_title_;
  std::vector<ExtlinuxEntry> entries_;
  std::size_t default_index_ = 0;
};

// Parses extlinux.conf. Errors read "<source_name>:<line>: <what>": a DEFAULT naming no LABEL, a
// duplicate LABEL, a LABEL without LINUX, a keyword repeated within one LABEL (the bootloader would keep
// only one of them), a LABEL keyword before the first LABEL, a control character or NUL byte (binary
// data), no LABEL at all, more than kMaxExtlinuxBytes.
Result<ExtlinuxConfig> parseExtlinux(std::string_view text, std::string_view source_name = "extlinux.conf");

// Reads and parses a file (at most kMaxExtlinuxBytes); errors name the path.
Result<ExtlinuxConfig> readExtlinux(const std::filesystem::path& path);

// The whole file text with only the default entry's APPEND arguments replaced by `new_append`: the
// indentation, the keyword as spelled, the space after it, a trailing comment, the line end and every
// other byte stay as they were. Without an APPEND line, one is inserted right after the entry's LINUX line
// with the same indentation and line end. `new_append` must be one line without control characters or '#'
// (the bootloader would cut the arguments there); the result must parse again to the same default entry.
Result<std::string> withDefaultAppend(const ExtlinuxConfig& config, std::string new_append);

}  // namespace jmem
