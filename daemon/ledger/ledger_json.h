#pragma once

#include <nlohmann/json.hpp>

#include "ledger/ledger.h"

namespace jmem {

// The documented `jmemd --dump` schema (README.md, "The ledger as JSON"). Sizes are integer bytes.
inline constexpr int kLedgerSchemaVersion = 1;

nlohmann::ordered_json ledgerToJson(const Ledger& ledger);

// One process and one unit as the dump writes them, and `jmemctl top --json` too: an unknown figure
// is null. A unit's "processes" are its PIDs.
nlohmann::ordered_json processToJson(const LedgerProcess& process);
nlohmann::ordered_json unitToJson(const LedgerUnit& unit);

}  // namespace jmem
