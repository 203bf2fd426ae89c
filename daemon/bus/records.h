#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bus/bus_record.h"
#include "ledger/ledger.h"

namespace jmem {

// The ledger's records on the bus (bus/bus_record.h says why a{sv}).
BusRecord encodeProcess(const LedgerProcess& process);
LedgerProcess decodeProcess(const BusRecord& record);

// The unit as the caller sees it: `pids` are those it may see of the unit's processes.
BusRecord encodeUnit(const LedgerUnit& unit, const std::vector<pid_t>& pids);
LedgerUnit decodeUnit(const BusRecord& record);

// GetSystem: the system figures of a sample and the totals of its ledger.
struct SystemRecord {
  std::uint64_t sample_usec = 0;
  std::uint64_t mem_total_bytes = 0;
  std::uint64_t mem_free_bytes = 0;
  std::uint64_t mem_available_bytes = 0;
  std::optional<std::uint64_t> swap_total_bytes;  // unknown without the lines in /proc/meminfo
  std::optional<std::uint64_t> swap_free_bytes;
  std::uint64_t pss_bytes = 0;                        // over every process
  std::optional<std::uint64_t> nvmap_total_bytes;     // unknown without NvMap
  std::optional<std::uint32_t> some_avg10_permyriad;  // PSI's; unknown on a kernel without it
  std::optional<std::uint32_t> some_avg60_permyriad;
  std::optional<std::uint32_t> full_avg10_permyriad;
  std::optional<std::uint32_t> full_avg60_permyriad;
  std::uint64_t used_bytes = 0;
  std::int64_t unaccounted_bytes = 0;  // negative as LedgerTotals explains
  std::uint32_t processes = 0;
  std::uint32_t processes_without_memory = 0;
  std::uint32_t processes_denied = 0;
  std::uint32_t processes_invalid = 0;
  friend bool operator==(const SystemRecord&, const SystemRecord&) = default;
};

SystemRecord systemRecord(const Ledger& ledger, std::uint64_t sample_usec);
BusRecord encodeSystem(const SystemRecord& system);
SystemRecord decodeSystem(const BusRecord& record);

}  // namespace jmem
