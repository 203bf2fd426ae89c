#include "sources/zram.h"

#include <algorithm>
#include <optional>
#include <system_error>
#include <utility>

#include "core/file_reader.h"
#include "core/text.h"

namespace jmem {
namespace {

constexpr std::size_t kMmStatFields = 7;  // Linux 4.2's; later kernels append

// "zram" and a decimal number: the kernel's names, nothing a link or a stray file could pass for.
std::optional<std::uint64_t> zramNumber(std::string_view name) {
  if (name.size() <= 4 || name.substr(0, 4) != "zram") return std::nullopt;
  return parseUnsigned(name.substr(4));
}

Result<ZramDevice> readDevice(const std::filesystem::path& dir) {
  ZramDevice device;
  device.name = dir.filename().string();
  auto disksize = readKernelFile(dir / "disksize", 64);
  if (!disksize) return disksize.error();
  const auto size = parseUnsigned(trim(*disksize));
  if (!size)
    return Error{(dir / "disksize").string() + ": not a number \"" + sanitizeName(trim(*disksize)) + "\""};
  device.disksize_bytes = *size;
  auto mm_stat = readKernelFile(dir / "mm_stat", 512);
  if (!mm_stat) return mm_stat.error();
  if (Status parsed = parseZramMmStat(*mm_stat, device); !parsed)
    return Error{(dir / "mm_stat").string() + ": " + parsed.error().message};
  return device;
}

}  // namespace

void ZramTotals::add(const ZramDevice& device, std::uint64_t page_bytes) {
  ++devices;
  disksize_bytes = addSaturating(disksize_bytes, device.disksize_bytes);
  orig_data_bytes = addSaturating(orig_data_bytes, device.orig_data_bytes);
  compr_data_bytes = addSaturating(compr_data_bytes, device.compr_data_bytes);
  mem_used_bytes = addSaturating(mem_used_bytes, device.mem_used_bytes);
  same_bytes = addSaturating(same_bytes, multiplySaturating(device.same_pages, page_bytes));
}

Status parseZramMmStat(std::string_view text, ZramDevice& device) {
  std::vector<std::uint64_t> values;
  text = trim(text);
  while (!text.empty()) {
    const auto space = text.find_first_of(" \t");
    const std::string_view token = text.substr(0, space);
    const auto value = parseUnsigned(token);
    if (!value)
      return Error{"field " + std::to_string(values.size() + 1) + ": not a number \"" + sanitizeName(token) +
                   "\""};
    values.push_back(*value);
    text = space == std::string_view::npos ? std::string_view{} : trim(text.substr(space));
  }
  if (values.size() < kMmStatFields)
    return Error{"expected at least " + std::to_string(kMmStatFields) + " fields, found " +
                 std::to_string(values.size())};
  // The compressed data can outgrow neither what it compresses nor the memory that holds it.
  if (values[1] > values[2] && values[2] != 0) return Error{"compressed data larger than the memory it uses"};
  device.orig_data_bytes = values[0];
  device.compr_data_bytes = values[1];
  device.mem_used_bytes = values[2];
  device.mem_limit_bytes = values[3];
  device.same_pages = values[5];
  device.huge_pages.reset();
  if (values.size() > kMmStatFields) device.huge_pages = values[7];
  return ok();
}

ZramSnapshot readZram(const std::filesystem::path& sys_root, std::uint64_t page_bytes) {
  namespace fs = std::filesystem;
  ZramSnapshot snapshot;
  const fs::path block = sys_root / "block";
  std::vector<std::pair<std::uint64_t, fs::path>> dirs;  // by number: zram2 before zram10
  std::error_code error;
  for (fs::directory_iterator it(block, error), end; !error && it != end; it.increment(error)) {
    if (const auto number = zramNumber(it->path().filename().string()))
      dirs.emplace_back(*number, it->path());
  }
  if (error) {
    snapshot.reason = "Failed to list " + block.string() + ": " + error.message();
    return snapshot;
  }
  if (dirs.empty()) {
    snapshot.reason = "no zram device under " + block.string();
    return snapshot;
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& [number, dir] : dirs) {
    auto device = readDevice(dir);
    if (!device) {
      snapshot.reason = device.error().message;
      snapshot.devices.clear();
      snapshot.totals = {};
      return snapshot;
    }
    snapshot.totals.add(*device, page_bytes);
    snapshot.devices.push_back(std::move(*device));
  }
  snapshot.available = true;
  return snapshot;
}

}  // namespace jmem
