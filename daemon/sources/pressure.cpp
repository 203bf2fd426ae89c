#include "sources/pressure.h"

#include <cerrno>
#include <optional>
#include <string>

#include "core/file_reader.h"
#include "core/text.h"

namespace jmem {
namespace {

// "12.34" (at most two decimals, at most 100.00) to 1234.
std::optional<std::uint32_t> parsePercentPermyriad(std::string_view text) {
  const auto dot = text.find('.');
  const auto whole = parseUnsigned(text.substr(0, dot));
  if (!whole || *whole > 100) return std::nullopt;
  std::uint64_t fraction = 0;
  if (dot != std::string_view::npos) {
    const std::string_view digits = text.substr(dot + 1);
    if (digits.empty() || digits.size() > 2) return std::nullopt;
    const auto parsed = parseUnsigned(digits);
    if (!parsed) return std::nullopt;
    fraction = digits.size() == 1 ? *parsed * 10 : *parsed;
  }
  const std::uint64_t value = *whole * 100 + fraction;
  if (value > 10000) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

Result<PressureLine> parseLine(std::string_view fields) {
  PressureLine line;
  bool seen[4] = {};
  while (!fields.empty()) {  // fields a newer kernel adds are ignored
    const auto space = fields.find(' ');
    const std::string_view token = fields.substr(0, space);
    fields = space == std::string_view::npos ? std::string_view{} : fields.substr(space + 1);
    if (token.empty()) continue;
    const auto equals = token.find('=');
    if (equals == std::string_view::npos) return Error{"malformed field \"" + sanitizeName(token) + "\""};
    const std::string_view key = token.substr(0, equals);
    const std::string_view value = token.substr(equals + 1);
    const std::string_view keys[] = {"avg10", "avg60", "avg300"};
    std::uint32_t* averages[] = {&line.avg10_permyriad, &line.avg60_permyriad, &line.avg300_permyriad};
    for (int i = 0; i < 3; ++i) {
      if (key != keys[i]) continue;
      if (seen[i]) return Error{"repeated " + std::string(key)};
      const auto parsed = parsePercentPermyriad(value);
      if (!parsed) return Error{"invalid " + std::string(key) + " \"" + sanitizeName(value) + "\""};
      *averages[i] = *parsed;
      seen[i] = true;
    }
    if (key == "total") {
      if (seen[3]) return Error{"repeated total"};
      const auto parsed = parseUnsigned(value);
      if (!parsed) return Error{"invalid total \"" + sanitizeName(value) + "\""};
      line.total_usec = *parsed;
      seen[3] = true;
    }
  }
  for (bool s : seen) {
    if (!s) return Error{"missing one of avg10, avg60, avg300, total"};
  }
  return line;
}

}  // namespace

std::string_view pressureLevel(const Pressure& pressure) {
  if (!pressure.available) return "none";
  const std::uint32_t some = pressure.some.avg10_permyriad;
  if (some < 100) return "none";
  if (some < 1000) return "low";
  if (some < 4000) return "medium";
  return "high";
}

Result<Pressure> parsePressure(std::string_view text) {
  Pressure pressure;
  bool have_some = false;
  bool have_full = false;
  std::string_view line;
  std::size_t line_number = 0;
  while (nextLine(text, line)) {
    ++line_number;
    line = trim(line);
    if (line.empty()) continue;
    const auto space = line.find(' ');
    const std::string_view kind = line.substr(0, space);
    if (kind != "some" && kind != "full") {
      return Error{"pressure line " + std::to_string(line_number) + ": unknown kind \"" + sanitizeName(kind) +
                   "\""};
    }
    bool& have = kind == "some" ? have_some : have_full;
    if (have)
      return Error{"pressure line " + std::to_string(line_number) + ": repeated " + std::string(kind)};
    auto parsed = parseLine(space == std::string_view::npos ? std::string_view{} : line.substr(space + 1));
    if (!parsed) return Error{"pressure line " + std::to_string(line_number) + ": " + parsed.error().message};
    (kind == "some" ? pressure.some : pressure.full) = *parsed;
    have = true;
  }
  // The memory file always has both lines; "full" is absent only for the cpu file on old kernels.
  if (!have_some || !have_full) return Error{"pressure: missing \"some\" or \"full\" line"};
  pressure.available = true;
  return pressure;
}

Result<Pressure> readMemoryPressure(const std::filesystem::path& proc_root) {
  const auto path = proc_root / "pressure" / "memory";
  auto text = readKernelFile(path, 4096);
  if (!text) {
    const int e = text.error().errno_value;
    if (e == ENOENT || e == EOPNOTSUPP) return Pressure{};
    return text.error();
  }
  auto parsed = parsePressure(*text);
  if (!parsed) return Error{path.string() + ": " + parsed.error().message};
  return parsed;
}

}  // namespace jmem
