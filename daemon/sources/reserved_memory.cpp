#include "sources/reserved_memory.h"

#include <algorithm>
#include <system_error>

#include "core/file_reader.h"
#include "core/saturating.h"
#include "core/text.h"

namespace jmem {
namespace {

// Device tree properties are small; a reg of a few ranges is tens of bytes.
constexpr std::size_t kMaxPropertyBytes = 64 * 1024;
// The device tree's defaults where a node does not say (the specification's 2 and 1).
constexpr std::uint32_t kDefaultAddressCells = 2;
constexpr std::uint32_t kDefaultSizeCells = 1;
constexpr std::size_t kMaxRegions = 256;

Result<std::uint64_t> cellsValue(std::string_view bytes, std::uint32_t cells) {
  if (cells > 2) {
    // A number wider than 64 bits: only its low 64 bits may be non-zero.
    for (std::size_t i = 0; i < (cells - 2) * 4; ++i) {
      if (bytes[i] != '\0')
        return Error{"a value of " + std::to_string(cells) + " cells does not fit 64 bits"};
    }
    bytes.remove_prefix((cells - 2) * 4);
    cells = 2;
  }
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < cells * 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::optional<std::string> property(const std::filesystem::path& node, const char* name) {
  auto text = readKernelFile(node / name, kMaxPropertyBytes);
  if (!text) return std::nullopt;
  return std::move(*text);
}

// A string property: up to its first NUL, made safe to show.
std::string firstString(const std::string& bytes) {
  return sanitizeName(std::string_view(bytes).substr(0, bytes.find('\0')));
}

std::uint32_t cellCount(const std::filesystem::path& node, const char* name, std::uint32_t fallback) {
  const auto bytes = property(node, name);
  if (!bytes) return fallback;
  const auto cells = parseCell(*bytes);
  return cells && *cells <= 4 ? *cells : fallback;
}

bool hasProperty(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(std::filesystem::symlink_status(path, error));
}

// The child nodes `wanted` picks, by name, at most kMaxRegions of them; `cut` says more were there.
template <typename Wanted>
std::vector<std::filesystem::path> childNodes(const std::filesystem::path& node, Wanted wanted, bool& cut) {
  std::vector<std::filesystem::path> children;
  std::error_code error;
  for (std::filesystem::directory_iterator it(node, error), end; !error && it != end; it.increment(error)) {
    if (!it->is_directory(error) || it->is_symlink(error) || !wanted(it->path().filename().string()))
      continue;
    if (children.size() == kMaxRegions) {
      cut = true;
      break;
    }
    children.push_back(it->path());
  }
  std::sort(children.begin(), children.end());
  return children;
}

}  // namespace

Result<std::uint32_t> parseCell(std::string_view bytes) {
  if (bytes.size() != 4) return Error{"a cell is 4 bytes, not " + std::to_string(bytes.size())};
  std::uint32_t value = 0;
  for (const char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

Result<std::vector<std::pair<std::uint64_t, std::uint64_t>>> parseRegCells(std::string_view bytes,
                                                                           std::uint32_t address_cells,
                                                                           std::uint32_t size_cells) {
  const std::size_t pair_bytes = (static_cast<std::size_t>(address_cells) + size_cells) * 4;
  if (size_cells == 0 || pair_bytes == 0 || bytes.size() % pair_bytes != 0)
    return Error{"reg of " + std::to_string(bytes.size()) + " bytes is no whole number of " +
                 std::to_string(address_cells) + "+" + std::to_string(size_cells) + "-cell ranges"};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (std::size_t at = 0; at < bytes.size(); at += pair_bytes) {
    const auto address = address_cells == 0 ? Result<std::uint64_t>(std::uint64_t{0})
                                            : cellsValue(bytes.substr(at, address_cells * 4), address_cells);
    if (!address) return address.error();
    const auto size = cellsValue(bytes.substr(at + address_cells * 4, size_cells * 4), size_cells);
    if (!size) return size.error();
    ranges.emplace_back(*address, *size);
  }
  return ranges;
}

ReservedMemory readReservedMemory(const std::filesystem::path& base) {
  ReservedMemory out;
  std::error_code error;
  if (!std::filesystem::is_directory(base, error)) {
    out.reason = "no device tree at " + base.string();
    return out;
  }
  out.available = true;
  const std::uint32_t root_address = cellCount(base, "#address-cells", kDefaultAddressCells);
  const std::uint32_t root_size = cellCount(base, "#size-cells", kDefaultSizeCells);
  const auto isMemory = [](const std::string& name) {
    return name == "memory" || name.starts_with("memory@");
  };
  for (const auto& node : childNodes(base, isMemory, out.cut)) {
    const auto reg = property(node, "reg");
    if (!reg) continue;
    if (auto ranges = parseRegCells(*reg, root_address, root_size)) {
      for (const auto& [address, size] : *ranges) out.dram_bytes = saturatingAdd(out.dram_bytes, size);
    }
  }
  const auto reserved = base / "reserved-memory";
  const std::uint32_t address_cells = cellCount(reserved, "#address-cells", root_address);
  const std::uint32_t size_cells = cellCount(reserved, "#size-cells", root_size);
  for (const auto& node : childNodes(
           reserved, [](const std::string&) { return true; }, out.cut)) {
    ReservedRegion region;
    region.name = sanitizeName(node.filename().string());
    if (const auto reg = property(node, "reg")) {
      const auto ranges = parseRegCells(*reg, address_cells, size_cells);
      if (!ranges || ranges->empty()) continue;  // a node that does not parse is left out, not guessed
      region.address = ranges->front().first;
      for (const auto& [address, size] : *ranges) region.size_bytes = saturatingAdd(region.size_bytes, size);
    } else if (const auto size = property(node, "size")) {
      const auto value = size->size() == size_cells * 4 ? cellsValue(*size, size_cells)
                                                        : Result<std::uint64_t>(Error{"size"});
      if (!value) continue;
      region.size_bytes = *value;
    } else {
      continue;
    }
    region.reusable = hasProperty(node / "reusable");
    region.no_map = hasProperty(node / "no-map");
    if (const auto compatible = property(node, "compatible")) region.compatible = firstString(*compatible);
    out.regions.push_back(std::move(region));
  }
  return out;
}

}  // namespace jmem
