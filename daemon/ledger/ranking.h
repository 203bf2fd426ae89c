#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "ledger/ledger.h"

namespace jmem {

// Largest first by a figure; kName: by name, A to Z (a unit's, a process's comm), cost breaking ties.
enum class SortKey { kPss, kNvmap, kGpu, kCost, kName };

// The largest list a caller may ask for; 0 asks for everything up to it.
inline constexpr std::uint32_t kMaxListLimit = 65536;

// "pss", "nvmap", "gpu", "cost" or "name"; anything else is an error that names the value.
Result<SortKey> parseSortKey(std::string_view text);
std::string_view toString(SortKey key);

// The one order of every list of units or processes (the bus, the metrics, the ledger itself): the
// largest `key` first; ties by manager, then unit name, for units and by PID for processes, so that
// one ledger always lists alike.
bool rankedBefore(const LedgerUnit& a, const LedgerUnit& b, SortKey key);
bool rankedBefore(const LedgerProcess& a, const LedgerProcess& b, SortKey key);

Result<std::vector<const LedgerProcess*>> topProcesses(const Ledger& ledger, SortKey key,
                                                       std::uint32_t limit);
Result<std::vector<const LedgerUnit*>> topUnits(const Ledger& ledger, SortKey key, std::uint32_t limit);

}  // namespace jmem
