#pragma once

#include <cstdint>
#include <functional>
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

// GetSystem: the system figures of a sample and the totals of its ledger, under the dump's names.
struct SystemRecord {
  std::uint64_t sample_usec = 0;
  Meminfo meminfo;
  Pressure pressure;
  NvmapSnapshot nvmap;  // whether it was read, its total and why not; the heaps stay in the dump
  ZramSnapshot zram;
  LedgerTotals totals;
  std::vector<UnreadableProcess> unreadable;  // those the caller may see
};

// `show` says which unreadable processes the caller may see (by their owner; none unknown).
SystemRecord systemRecord(const Ledger& ledger, std::uint64_t sample_usec,
                          const std::function<bool(uid_t)>& show);
BusRecord encodeSystem(const SystemRecord& system);
SystemRecord decodeSystem(const BusRecord& record);

}  // namespace jmem
