#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jmem {

// The largest size any reader accepts for one value; anything above is corrupt input, not memory.
inline constexpr std::uint64_t kMaxPlausibleBytes = std::uint64_t{1} << 50;  // 1 PiB

std::string_view trim(std::string_view text);

// Splits off the next line (without '\n'); returns false when `text` is exhausted.
bool nextLine(std::string_view& text, std::string_view& line);

// Strict unsigned decimal: digits only, no sign, no overflow.
std::optional<std::uint64_t> parseUnsigned(std::string_view text);

// A KiB count as the kernel prints it, converted to bytes; rejects values above kMaxPlausibleBytes.
std::optional<std::uint64_t> kibToBytes(std::uint64_t kib);

// a + b, clamped at the maximum instead of wrapping.
std::uint64_t addSaturating(std::uint64_t a, std::uint64_t b);
// a * b, clamped at the maximum instead of wrapping.
std::uint64_t multiplySaturating(std::uint64_t a, std::uint64_t b);

// Sizes the way systemd prints them: "512B", "1.2K", "7.4G" (powers of 1024).
std::string formatIec(std::uint64_t bytes);

// A share in 1/10000 as a percentage with two decimals: 1234 is "12.34%".
std::string formatPermyriad(std::uint32_t permyriad);

// "a, b, c" from {"a", "b", "c"} and ", ".
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// Keeps printable ASCII and valid UTF-8; control characters and invalid bytes become '?'. Names from /proc
// are chosen by whoever started the process.
std::string sanitizeName(std::string_view raw);

// `text` sanitized (sanitizeName) between double quotes, for a value quoted in a message.
std::string inQuotes(std::string_view text);

// A character that a line jmem writes (a bootloader config, a kernel command line) may not hold: C0
// controls but the tab, and DEL.
bool isControlCharacter(char c);

// Text from a file, a process or a caller made safe to print on a terminal, with what was unsafe
// shown rather than hidden: C0 controls, DEL and invalid bytes become \xHH (\n, \r and \t by name),
// C1 controls and the invisible or reordering code points (bidi embeddings, overrides and isolates,
// zero-width characters and marks, the line and paragraph separators, the byte order mark) become
// \uHHHH. A newline can then never start a line of its own. The backslash itself is kept, so that
// systemd's escaped unit names read as systemctl prints them, and escaping twice changes nothing.
std::string terminalSafe(std::string_view raw);

// terminalSafe() line by line, keeping the newlines between lines: for a message of several lines
// whose own parts were made safe where they were written (jmemd's list of a policy's problems).
std::string terminalSafeLines(std::string_view raw);

}  // namespace jmem
