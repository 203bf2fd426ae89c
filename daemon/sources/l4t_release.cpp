#include "sources/l4t_release.h"

#include "core/file_reader.h"

namespace jmem {
namespace {

// The file is one line of a few dozen bytes; anything larger is not it.
constexpr std::size_t kMaxReleaseBytes = 4096;

bool allDigits(std::string_view text) {
  return !text.empty() && text.size() <= 4 && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string jetpackOf(std::string_view major) {
  if (major == "32") return "4";
  if (major == "34" || major == "35") return "5";
  if (major == "36") return "6";
  if (major == "38") return "7";
  return "";
}

}  // namespace

std::optional<L4tRelease> parseL4tRelease(std::string_view text) {
  const std::string_view line = text.substr(0, text.find('\n'));
  constexpr std::string_view kHead = "# R";
  constexpr std::string_view kRevision = " (release), REVISION: ";
  if (!line.starts_with(kHead)) return std::nullopt;
  const std::string_view rest = line.substr(kHead.size());
  const auto at = rest.find(kRevision);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view major = rest.substr(0, at);
  std::string_view revision = rest.substr(at + kRevision.size());
  revision = revision.substr(0, revision.find(','));
  const auto dot = revision.find('.');
  if (!allDigits(major) || dot == std::string_view::npos || !allDigits(revision.substr(0, dot)) ||
      !allDigits(revision.substr(dot + 1)))
    return std::nullopt;
  return L4tRelease{std::string(major) + "." + std::string(revision), jetpackOf(major)};
}

std::optional<L4tRelease> readL4tRelease(const std::filesystem::path& root) {
  auto text = readWholeFile(root / "etc/nv_tegra_release", kMaxReleaseBytes);
  if (!text) return std::nullopt;
  return parseL4tRelease(*text);
}

}  // namespace jmem
