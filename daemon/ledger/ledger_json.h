#pragma once

#include <nlohmann/json.hpp>

#include "ledger/ledger.h"

namespace jmem {

// The documented `jmemd --dump` schema (README.md, "The ledger as JSON"). Sizes are integer bytes.
inline constexpr int kLedgerSchemaVersion = 1;

nlohmann::ordered_json ledgerToJson(const Ledger& ledger);

}  // namespace jmem
