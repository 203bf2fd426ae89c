#include "sources/nvmap.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <system_error>

#include "core/file_reader.h"
#include "core/text.h"

namespace jmem {
namespace {

// The narrowest line nvmap prints whole: a carveout row, "%-18s %18s %8u %10zu". A shorter line is a piece of
// a row whose process name (a comm, which any process sets to any 15 bytes) holds a newline; read as a row or
// a total it would let a process forge NvMap figures.
constexpr std::size_t kMinPrintedLineChars = 18 + 1 + 18 + 1 + 8 + 1 + 10;

// "118372K" or, in carveout rows of old kernels, "118372": KiB either way.
std::optional<std::uint64_t> parseKibToken(std::string_view token) {
  if (!token.empty() && token.back() == 'K') token.remove_suffix(1);
  const auto kib = parseUnsigned(token);
  if (!kib) return std::nullopt;
  return kibToBytes(*kib);
}

// Splits off the last whitespace-separated token of `text`.
std::string_view popLastToken(std::string_view& text) {
  text = trim(text);
  const auto space = text.find_last_of(" \t");
  const std::string_view token = space == std::string_view::npos ? text : text.substr(space + 1);
  text = space == std::string_view::npos ? std::string_view{} : text.substr(0, space);
  return token;
}

std::optional<NvmapClient> parseRow(std::string_view line, std::string_view heap) {
  std::string_view rest = line;
  const auto bytes = parseKibToken(popLastToken(rest));
  const auto pid = parseUnsigned(popLastToken(rest));
  if (!bytes || !pid || *pid > static_cast<std::uint64_t>(std::numeric_limits<pid_t>::max()))
    return std::nullopt;
  rest = trim(rest);
  const auto space = rest.find_first_of(" \t");
  if (rest.empty() || space == std::string_view::npos) return std::nullopt;
  NvmapClient row;
  row.heap = std::string(heap);
  row.client = sanitizeName(rest.substr(0, space));
  row.process = sanitizeName(trim(rest.substr(space)));
  row.pid = static_cast<pid_t>(*pid);
  row.bytes = *bytes;
  return row;
}

}  // namespace

Result<NvmapHeap> parseNvmapClients(std::string_view text, std::string_view heap_name) {
  NvmapHeap heap;
  heap.name = std::string(heap_name);
  bool have_total = false;
  std::string_view line;
  while (nextLine(text, line)) {
    const std::string_view trimmed = trim(line);
    if (trimmed.empty() || trimmed.starts_with("Note")) continue;
    if (trimmed.starts_with("CLIENT")) continue;
    if (line.size() < kMinPrintedLineChars) {
      if (!have_total) ++heap.skipped_rows;
      continue;
    }
    if (trimmed.starts_with("total ") || trimmed == "total") {
      if (have_total) return Error{"nvmap " + heap.name + ": repeated total line"};
      std::string_view rest = trimmed;
      const auto total = parseKibToken(popLastToken(rest));
      if (!total || trim(rest) != "total") return Error{"nvmap " + heap.name + ": malformed total line"};
      heap.total_bytes = *total;
      have_total = true;
      continue;
    }
    if (have_total) continue;  // nothing but notes follows the total
    if (auto row = parseRow(trimmed, heap.name)) {
      heap.clients.push_back(std::move(*row));
    } else {
      ++heap.skipped_rows;
    }
  }
  if (!have_total) return Error{"nvmap " + heap.name + ": no total line"};
  return heap;
}

NvmapSnapshot readNvmap(const std::filesystem::path& debugfs_root) {
  namespace fs = std::filesystem;
  NvmapSnapshot snapshot;
  const fs::path dir = debugfs_root / "nvmap";
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error) {
    snapshot.reason = "Failed to open " + dir.string() + ": " + error.message();
    return snapshot;
  }
  std::vector<fs::path> clients_files;
  for (; it != fs::directory_iterator(); it.increment(error)) {
    if (error) break;
    // Whatever is there, not only regular files: a FIFO or a link where the kernel's file should be is
    // an error that names it, not a heap silently left out of the total.
    const fs::path candidate = it->path() / "clients";
    std::error_code status_error;
    if (fs::exists(fs::symlink_status(candidate, status_error))) clients_files.push_back(candidate);
  }
  std::sort(clients_files.begin(), clients_files.end());
  // All heaps or none: a total that silently misses a heap would be a wrong total.
  for (const fs::path& file : clients_files) {
    auto text = readKernelFile(file);
    auto heap = text ? parseNvmapClients(*text, file.parent_path().filename().string())
                     : Result<NvmapHeap>(text.error());
    if (!heap) {
      snapshot.reason = text ? file.string() + ": " + heap.error().message : heap.error().message;
      snapshot.heaps.clear();
      snapshot.total_bytes = 0;
      return snapshot;
    }
    snapshot.total_bytes = addSaturating(snapshot.total_bytes, heap->total_bytes);
    snapshot.heaps.push_back(std::move(*heap));
  }
  snapshot.available = !snapshot.heaps.empty();
  if (!snapshot.available) snapshot.reason = "no clients file under " + dir.string();
  return snapshot;
}

}  // namespace jmem
