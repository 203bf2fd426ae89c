#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "ledger/ledger.h"

namespace jmem {

enum class SortKey { kPss, kNvmap, kGpu, kCost };

// The largest list a caller may ask for; 0 asks for everything up to it.
inline constexpr std::uint32_t kMaxListLimit = 65536;

// "pss", "nvmap", "gpu" or "cost"; anything else is an error that names the value.
Result<SortKey> parseSortKey(std::string_view text);
std::string_view toString(SortKey key);

Result<std::vector<const LedgerProcess*>> topProcesses(const Ledger& ledger, SortKey key,
                                                       std::uint32_t limit);
Result<std::vector<const LedgerUnit*>> topUnits(const Ledger& ledger, SortKey key, std::uint32_t limit);

}  // namespace jmem
