#include "sources/swiotlb_pool.h"

#include <algorithm>
#include <bit>
#include <charconv>

#include "core/file_reader.h"
#include "core/text.h"

namespace jmem {
namespace {

constexpr std::uint64_t kMinimumSuggestedSlabs = 1024;

std::optional<std::uint64_t> hexAfter(std::string_view text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return std::nullopt;
  text.remove_prefix(prefix.size());
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> debugfsNumber(const std::filesystem::path& dir, const char* name) {
  auto text = readKernelFile(dir / name, 64);
  if (!text) return std::nullopt;
  return parseUnsigned(trim(*text));
}

}  // namespace

std::optional<std::uint64_t> parseSwiotlbBootLine(std::string_view line) {
  const auto at = line.find("software IO TLB: mapped [mem ");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + 29);
  const auto dash = rest.find('-');
  const auto close = rest.find(']');
  if (dash != std::string_view::npos && close != std::string_view::npos && dash < close) {
    const auto start = hexAfter(rest.substr(0, dash), "0x");
    const auto end = hexAfter(rest.substr(dash + 1, close - dash - 1), "0x");
    // The range's end is its last byte on most kernels and one past it on a few: whole MiB either way.
    // (The whole 64-bit range would wrap to 0 and is left to the figure in brackets.)
    if (start && end && *end > *start && *end - *start + 1 != 0)
      return (*end - *start + 1) / (1 << 20) * (1 << 20);
  }
  const auto open = rest.find('(');
  const auto mb = rest.find("MB)");
  if (open == std::string_view::npos || mb == std::string_view::npos || mb < open) return std::nullopt;
  const auto megabytes = parseUnsigned(rest.substr(open + 1, mb - open - 1));
  if (!megabytes || *megabytes >= (std::uint64_t{1} << 40)) return std::nullopt;
  return *megabytes << 20;
}

std::uint64_t suggestedSwiotlbSlabs(std::uint64_t used_slabs, std::uint32_t headroom_percent) {
  // A figure from debugfs past any real pool (2^40 slabs is 2 PiB) is held there: no overflow.
  used_slabs = std::min(used_slabs, std::uint64_t{1} << 40);
  const std::uint64_t wanted =
      used_slabs + used_slabs * std::min<std::uint32_t>(headroom_percent, 1000) / 100;
  return std::max(kMinimumSuggestedSlabs, std::bit_ceil(std::max<std::uint64_t>(wanted, 1)));
}

SwiotlbPool readSwiotlbPool(const std::filesystem::path& debugfs, std::string_view boot_log) {
  SwiotlbPool out;
  const auto dir = debugfs / "swiotlb";
  if (const auto slabs = debugfsNumber(dir, "io_tlb_nslabs"); slabs && *slabs > 0) {
    out.slabs = *slabs;
    out.used_slabs = debugfsNumber(dir, "io_tlb_used");
    out.high_water_slabs = debugfsNumber(dir, "io_tlb_used_hiwater");
    out.source = "debugfs";
    return out;
  }
  for (std::size_t start = 0; start < boot_log.size();) {
    const auto end = std::min(boot_log.find('\n', start), boot_log.size());
    if (const auto bytes = parseSwiotlbBootLine(boot_log.substr(start, end - start))) {
      out.slabs = *bytes / kSwiotlbSlabBytes;
      out.source = "boot log";
      return out;
    }
    start = end + 1;
  }
  out.slabs = kSwiotlbDefaultBytes / kSwiotlbSlabBytes;
  out.source = "default";
  return out;
}

}  // namespace jmem
