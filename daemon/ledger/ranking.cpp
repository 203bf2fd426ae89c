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
    case SortKey::kName:  // no figure: by name below
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

template <typename T>
std::vector<const T*> rank(const std::vector<T>& items, std::uint32_t limit, SortKey key) {
  std::vector<const T*> ranked;
  ranked.reserve(items.size());
  for (const T& item : items) ranked.push_back(&item);
  std::sort(ranked.begin(), ranked.end(),
            [key](const T* a, const T* b) { return rankedBefore(*a, *b, key); });
  const std::size_t wanted = limit == 0 ? kMaxListLimit : limit;
  if (ranked.size() > wanted) ranked.resize(wanted);
  return ranked;
}

}  // namespace

bool rankedBefore(const LedgerUnit& a, const LedgerUnit& b, SortKey key) {
  if (key == SortKey::kName && a.unit != b.unit) return a.unit < b.unit;
  const std::uint64_t key_a = keyOf(a.memory, key);
  const std::uint64_t key_b = keyOf(b.memory, key);
  if (key_a != key_b) return key_a > key_b;
  if (a.manager != b.manager) return a.manager < b.manager;
  return a.unit < b.unit;
}

bool rankedBefore(const LedgerProcess& a, const LedgerProcess& b, SortKey key) {
  if (key == SortKey::kName && a.sample.comm != b.sample.comm) return a.sample.comm < b.sample.comm;
  const std::uint64_t key_a = keyOf(partsOf(a), key);
  const std::uint64_t key_b = keyOf(partsOf(b), key);
  if (key_a != key_b) return key_a > key_b;
  return a.sample.pid < b.sample.pid;
}

Result<SortKey> parseSortKey(std::string_view text) {
  if (text == "pss") return SortKey::kPss;
  if (text == "nvmap") return SortKey::kNvmap;
  if (text == "gpu") return SortKey::kGpu;
  if (text == "cost") return SortKey::kCost;
  if (text == "name") return SortKey::kName;
  return Error{"Unknown sort key \"" + sanitizeName(text.substr(0, 64)) +
               "\": expected pss, nvmap, gpu, cost or name"};
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
    case SortKey::kName:
      return "name";
  }
  return "cost";
}

Result<std::vector<const LedgerProcess*>> topProcesses(const Ledger& ledger, SortKey key,
                                                       std::uint32_t limit) {
  if (auto checked = checkLimit(limit); !checked) return checked.error();
  return rank(ledger.processes, limit, key);
}

Result<std::vector<const LedgerUnit*>> topUnits(const Ledger& ledger, SortKey key, std::uint32_t limit) {
  if (auto checked = checkLimit(limit); !checked) return checked.error();
  return rank(ledger.units, limit, key);
}

}  // namespace jmem
