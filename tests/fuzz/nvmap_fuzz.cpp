// Fuzzes parseNvmapClients() with arbitrary nvmap "clients" text (debugfs nvmap/<heap>/clients).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/text.h"
#include "fuzz_checks.h"
#include "sources/nvmap.h"

namespace {

using jmem::fuzz::checkBytes;
using jmem::fuzz::isCleanText;
using jmem::fuzz::require;

constexpr std::string_view kHeap = "iovmm";

// A name the kernel's own format would print as something other than a row.
bool looksLikeOtherLine(const std::string& client) {
  return client == "total" || client.starts_with("Note") || client.starts_with("CLIENT");
}

// The heap as the kernel prints it; parsing this must give back the same rows and total.
std::string format(const jmem::NvmapHeap& heap) {
  std::string text;
  char line[512];
  std::snprintf(line, sizeof line, "%-18s %18s %8s %11s\n", "CLIENT", "PROCESS", "PID", "SIZE");
  text += line;
  for (const jmem::NvmapClient& row : heap.clients) {
    std::snprintf(line, sizeof line, "%-18s %18s %8d %10lluK\n", row.client.c_str(), row.process.c_str(),
                  row.pid, static_cast<unsigned long long>(row.bytes / 1024));
    text += line;
  }
  std::snprintf(line, sizeof line, "%-18s %18s %8s %10lluK\n", "total", "", "",
                static_cast<unsigned long long>(heap.total_bytes / 1024));
  text += line;
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = jmem::fuzz::asText(data, size);
  const auto parsed = jmem::parseNvmapClients(input, kHeap);
  if (!parsed) {
    require(!parsed.error().message.empty() && isCleanText(parsed.error().message));
    return 0;
  }
  const jmem::NvmapHeap& heap = *parsed;
  require(heap.name == kHeap);
  checkBytes(heap.total_bytes);
  std::size_t lines = 0;
  for (const char c : input) lines += c == '\n';
  require(heap.clients.size() + heap.skipped_rows <= lines + 1);
  bool printable = true;
  for (const jmem::NvmapClient& row : heap.clients) {
    require(row.heap == kHeap);
    checkBytes(row.bytes);
    require(row.pid >= 0);
    require(!row.client.empty() && isCleanText(row.client) && row.client.find(' ') == std::string::npos);
    require(!row.process.empty() && isCleanText(row.process));
    require(jmem::trim(row.process) == row.process);
    printable = printable && !looksLikeOtherLine(row.client) && row.client.size() + row.process.size() < 400;
  }
  if (printable) {
    const auto again = jmem::parseNvmapClients(format(heap), kHeap);
    require(again.ok() && again->total_bytes == heap.total_bytes && again->skipped_rows == 0);
    require(again->clients.size() == heap.clients.size());
    for (std::size_t i = 0; i < heap.clients.size(); ++i) {
      const jmem::NvmapClient& a = again->clients[i];
      const jmem::NvmapClient& b = heap.clients[i];
      require(a.heap == b.heap && a.client == b.client && a.process == b.process && a.pid == b.pid &&
              a.bytes == b.bytes);
    }
  }
  return 0;
}
