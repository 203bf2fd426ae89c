#include "ctl/time_spec.h"

#include <time.h>

#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>

#include "core/text.h"

namespace jmem::ctl {
namespace {

constexpr std::uint64_t kUsecPerSec = 1000000;

struct DurationUnit {
  std::string_view name;
  std::uint64_t seconds;
};
constexpr std::array kDurationUnits{
    DurationUnit{"s", 1},         DurationUnit{"sec", 1},        DurationUnit{"second", 1},
    DurationUnit{"seconds", 1},   DurationUnit{"m", 60},         DurationUnit{"min", 60},
    DurationUnit{"minute", 60},   DurationUnit{"minutes", 60},   DurationUnit{"h", 3600},
    DurationUnit{"hour", 3600},   DurationUnit{"hours", 3600},   DurationUnit{"d", 86400},
    DurationUnit{"day", 86400},   DurationUnit{"days", 86400},   DurationUnit{"w", 604800},
    DurationUnit{"week", 604800}, DurationUnit{"weeks", 604800},
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// Reads a number of at most `max_digits` digits off the front of `text`.
std::optional<std::uint64_t> takeNumber(std::string_view& text, std::size_t max_digits) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > max_digits) return std::nullopt;
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + digits, value);
  text.remove_prefix(digits);
  return value;
}

bool takeChar(std::string_view& text, char c) {
  if (text.empty() || text.front() != c) return false;
  text.remove_prefix(1);
  return true;
}

// "2h", "90 min": seconds.
std::optional<std::uint64_t> parseDuration(std::string_view text) {
  auto count = takeNumber(text, 9);
  if (!count) return std::nullopt;
  const std::string_view unit = trim(text);
  for (const DurationUnit& u : kDurationUnits) {
    if (u.name == unit) return *count * u.seconds;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> localToUsec(tm local) {
  local.tm_isdst = -1;
  const time_t seconds = mktime(&local);
  if (seconds < 0) return std::nullopt;
  return static_cast<std::uint64_t>(seconds) * kUsecPerSec;
}

tm localNow(std::uint64_t now_usec) {
  const time_t seconds = static_cast<time_t>(now_usec / kUsecPerSec);
  tm local{};
  localtime_r(&seconds, &local);
  return local;
}

// "HH:MM[:SS]" at the end of `text`, into `at`.
bool takeTimeOfDay(std::string_view& text, tm& at) {
  const auto hour = takeNumber(text, 2);
  if (!hour || *hour > 23 || !takeChar(text, ':')) return false;
  const auto minute = takeNumber(text, 2);
  if (!minute || *minute > 59) return false;
  std::uint64_t second = 0;
  if (takeChar(text, ':')) {
    const auto s = takeNumber(text, 2);
    if (!s || *s > 60) return false;
    second = *s;
  }
  at.tm_hour = static_cast<int>(*hour);
  at.tm_min = static_cast<int>(*minute);
  at.tm_sec = static_cast<int>(second);
  return text.empty();
}

std::optional<std::uint64_t> parseDateTime(std::string_view text) {
  tm at{};
  const auto year = takeNumber(text, 4);
  if (!year || *year < 1970 || !takeChar(text, '-')) return std::nullopt;
  const auto month = takeNumber(text, 2);
  if (!month || *month < 1 || *month > 12 || !takeChar(text, '-')) return std::nullopt;
  const auto day = takeNumber(text, 2);
  if (!day || *day < 1 || *day > 31) return std::nullopt;
  at.tm_year = static_cast<int>(*year) - 1900;
  at.tm_mon = static_cast<int>(*month) - 1;
  at.tm_mday = static_cast<int>(*day);
  if (!text.empty() && !takeChar(text, ' ') && !takeChar(text, 'T')) return std::nullopt;
  if (!text.empty() && !takeTimeOfDay(text, at)) return std::nullopt;
  const int wanted_day = at.tm_mday;
  tm normalized = at;
  const auto usec = localToUsec(normalized);
  // mktime carries 31 February into March: that is no date.
  if (!usec || localNow(*usec).tm_mday != wanted_day) return std::nullopt;
  return usec;
}

std::optional<std::uint64_t> parse(std::string_view text, std::uint64_t now_usec) {
  if (text == "now") return now_usec;
  if (text == "today" || text == "yesterday") {
    tm at = localNow(now_usec);
    at.tm_hour = at.tm_min = at.tm_sec = 0;
    if (text == "yesterday") at.tm_mday -= 1;
    return localToUsec(at);
  }
  if (text.starts_with("@")) {
    std::string_view rest = text.substr(1);
    const auto seconds = takeNumber(rest, 12);
    if (!seconds || !rest.empty()) return std::nullopt;
    return *seconds * kUsecPerSec;
  }
  std::optional<std::uint64_t> ago;
  if (text.starts_with("-")) ago = parseDuration(text.substr(1));
  if (text.ends_with(" ago")) ago = parseDuration(text.substr(0, text.size() - 4));
  if (ago) return *ago > now_usec / kUsecPerSec ? 0 : now_usec - *ago * kUsecPerSec;
  if (text.size() <= 8 && text.find(':') != std::string_view::npos) {
    tm at = localNow(now_usec);
    std::string_view rest = text;
    if (!takeTimeOfDay(rest, at)) return std::nullopt;
    return localToUsec(at);
  }
  return parseDateTime(text);
}

}  // namespace

Result<std::uint64_t> parseSince(std::string_view text, std::uint64_t now_usec) {
  if (auto usec = parse(trim(text), now_usec)) return *usec;
  return Error{"Invalid time " + inQuotes(text) +
               ": expected a date and time (2026-12-04 14:03), a time of today (14:03), today, yesterday, "
               "or a time ago (-2h, 30min ago)"};
}

}  // namespace jmem::ctl
