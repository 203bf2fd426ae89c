#include "ledger/ranking.h"

#include <algorithm>
#include <string>

#include "core/text.h"

namespace jmem {
namespace {

std::uint64_t keyOf(const PssParts& parts, SortKey key) {
  switch (key) {
    case SortKey::kPss:
      return parts.pss_bytes;
    case SortKey::kNvmap:
      return parts.nvmap_bytes;
    case SortKey::kGpu:
      return parts.gpu_bytes;
    case SortKey::kCost:
      return parts.costBytes();
  }
  return 0;
}

PssParts partsOf(const LedgerProcess& process) {
  PssParts parts;
  parts.add(process);
  return parts;
}

Status checkLimit(std::uint32_t limit) {
  if (limit > kMaxListLimit)
    return Error{"Limit " + std::to_string(limit) + " is above the maximum of " +
                 std::to_string(kMaxListLimit)};
  return ok();
}

// Largest first; ties by their original order (PID for processes), so output is stable.
template <typename T, typename KeyOf>
std::vector<const T*> rank(const std::vector<T>& items, std::uint32_t limit, KeyOf key_of) {
  std::vector<const T*> ranked;
  ranked.reserve(items.size());
  for (const T& item : items) ranked.push_back(&item);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](const T* a, const T* b) { return key_of(*a) > key_of(*b); });
  const std::size_t wanted = limit == 0 ? kMaxListLimit : limit;
  if (ranked.size() > wanted) ranked.resize(wanted);
  return ranked;
}

}  // namespace

Result<SortKey> parseSortKey(std::string_view text) {
  if (text == "pss") return SortKey::kPss;
  if (text == "nvmap") return SortKey::kNvmap;
  if (text == "gpu") return SortKey::kGpu;
  if (text == "cost") return SortKey::kCost;
  return Error{"Unknown sort key \"" + sanitizeName(text.substr(0, 64)) +
               "\": expected pss, nvmap, gpu or cost"};
}

std::string_view toString(SortKey key) {
  switch (key) {
    case SortKey::kPss:
      return "pss";
    case SortKey::kNvmap:
      return "nvmap";
    case SortKey::kGpu:
      return "gpu";
    case SortKey::kCost:
      return "cost";
  }
  return "cost";
}

Result<std::vector<const LedgerProcess*>> topProcesses(const Ledger& ledger, SortKey key,
                                                       std::uint32_t limit) {
  if (auto checked = checkLimit(limit); !checked) return checked.error();
  return rank(ledger.processes, limit, [key](const LedgerProcess& p) { return keyOf(partsOf(p), key); });
}

Result<std::vector<const LedgerUnit*>> topUnits(const Ledger& ledger, SortKey key, std::uint32_t limit) {
  if (auto checked = checkLimit(limit); !checked) return checked.error();
  return rank(ledger.units, limit, [key](const LedgerUnit& u) { return keyOf(u.memory, key); });
}

}  // namespace jmem
