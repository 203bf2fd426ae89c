#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "core/shared_text.h"
#include "ledger/ledger.h"

namespace jmem {

// The documented `jmemd --dump` schema (README.md, "The ledger as JSON"). Sizes are integer bytes.
inline constexpr int kLedgerSchemaVersion = 1;

nlohmann::ordered_json ledgerToJson(const Ledger& ledger);

template <typename T>
nlohmann::ordered_json jsonValue(const T& value) {
  return value;
}
template <typename T>
nlohmann::ordered_json jsonValue(const std::optional<T>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}
inline nlohmann::ordered_json jsonValue(const SharedText& text) {
  return text.str();
}

// A record's fields (its visitFields) as the dump writes them, and `jmemctl --json` too: an unknown
// figure is null.
template <typename Record>
void putFields(nlohmann::ordered_json& out, const Record& record) {
  visitFields(record, [&](const char* name, const auto& field) { out[name] = jsonValue(field); });
}
template <typename Record>
nlohmann::ordered_json fieldsToJson(const Record& record) {
  auto out = nlohmann::ordered_json::object();
  putFields(out, record);
  return out;
}

nlohmann::ordered_json processToJson(const LedgerProcess& process);
// Each as pid, comm and uid; comm and uid null where /proc hid them.
nlohmann::ordered_json unreadableToJson(const std::vector<UnreadableProcess>& processes);
// A unit's "processes" are its PIDs.
nlohmann::ordered_json unitToJson(const LedgerUnit& unit);
// "some" and "full" are null on a kernel without PSI.
nlohmann::ordered_json pressureToJson(const Pressure& pressure);
// Whether NvMap was read, its total and, when it was not, why; the dump adds the heaps and clients.
nlohmann::ordered_json nvmapTotalToJson(const NvmapSnapshot& nvmap);
// Whether a zram device is there (and why not), each device and their sums.
nlohmann::ordered_json zramToJson(const ZramSnapshot& zram);

}  // namespace jmem
