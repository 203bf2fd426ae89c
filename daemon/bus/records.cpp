#include "bus/records.h"

#include <algorithm>

namespace jmem {
namespace {

std::vector<std::uint32_t> wirePids(const std::vector<pid_t>& pids) {
  return {pids.begin(), pids.end()};
}

}  // namespace

BusRecord encodeProcess(const LedgerProcess& process) {
  BusRecord out;
  putFields(out, process);
  return out;
}

LedgerProcess decodeProcess(const BusRecord& record) {
  LedgerProcess process;
  readFields(record, process);
  process.sample.rollup.has_memory = true;  // the ledger holds only processes with memory
  return process;
}

BusRecord encodeUnit(const LedgerUnit& unit, const std::vector<pid_t>& pids) {
  BusRecord out;
  putFields(out, unit);
  out["processes"] = sdbus::Variant(wirePids(pids));
  return out;
}

LedgerUnit decodeUnit(const BusRecord& record) {
  LedgerUnit unit;
  readFields(record, unit);
  std::vector<std::uint32_t> pids;
  readField<std::vector<std::uint32_t>>(record, "processes", pids);
  unit.pids.assign(pids.begin(), pids.end());
  return unit;
}

SystemRecord systemRecord(const Ledger& ledger, std::uint64_t sample_usec,
                          const std::function<bool(uid_t)>& show) {
  const NvmapSnapshot& nvmap = ledger.system.nvmap;
  SystemRecord record{sample_usec,
                      ledger.system.meminfo,
                      ledger.system.pressure,
                      NvmapSnapshot{nvmap.available, nvmap.reason, nvmap.total_bytes, {}},
                      ledger.system.zram,
                      ledger.totals,
                      {}};
  // Filtered first, then cut: a caller gets the first of those it may see.
  for (const UnreadableProcess& p : ledger.unreadable) {
    if (record.unreadable.size() == kMaxUnreadableListed) break;
    if (p.uid && show(*p.uid)) record.unreadable.push_back(p);
  }
  return record;
}

// One flat record: the sections' names do not overlap, and PSI's lines are there only when the
// kernel has PSI.
BusRecord encodeSystem(const SystemRecord& s) {
  BusRecord out{{"sample_usec", sdbus::Variant(s.sample_usec)}};
  putFields(out, s.meminfo);
  if (s.pressure.available) {
    putFields(out, s.pressure.some, "some_");
    putFields(out, s.pressure.full, "full_");
  }
  if (s.nvmap.available) {
    out["nvmap_total_bytes"] = sdbus::Variant(s.nvmap.total_bytes);
  } else {
    out["nvmap_reason"] = sdbus::Variant(s.nvmap.reason);
  }
  if (s.zram.available) {
    putFields(out, s.zram.totals, "zram_total_");
    std::vector<BusRecord> devices;
    for (const ZramDevice& device : s.zram.devices) devices.push_back(encodeFields(device));
    out["zram_devices"] = sdbus::Variant(devices);
  } else {
    out["zram_reason"] = sdbus::Variant(s.zram.reason);
  }
  putFields(out, s.totals);
  std::vector<BusRecord> unreadable;
  for (const UnreadableProcess& p : s.unreadable) {
    BusRecord r{{"pid", sdbus::Variant(static_cast<std::int32_t>(p.pid))}, {"comm", sdbus::Variant(p.comm)}};
    if (p.uid) r["uid"] = sdbus::Variant(static_cast<std::uint32_t>(*p.uid));
    unreadable.push_back(std::move(r));
  }
  out["unreadable_processes"] = sdbus::Variant(unreadable);
  return out;
}

SystemRecord decodeSystem(const BusRecord& record) {
  SystemRecord s;
  readField<std::uint64_t>(record, "sample_usec", s.sample_usec);
  readFields(record, s.meminfo);
  s.pressure.available = record.contains("some_avg10_permyriad");
  if (s.pressure.available) {
    readFields(record, s.pressure.some, "some_");
    readFields(record, s.pressure.full, "full_");
  }
  s.nvmap.available = record.contains("nvmap_total_bytes");
  readField<std::uint64_t>(record, "nvmap_total_bytes", s.nvmap.total_bytes);
  readField<std::string>(record, "nvmap_reason", s.nvmap.reason);
  std::vector<BusRecord> devices;
  s.zram.available = readField<std::vector<BusRecord>>(record, "zram_devices", devices);
  for (const BusRecord& device : devices) s.zram.devices.push_back(decodeFields<ZramDevice>(device));
  readFields(record, s.zram.totals, "zram_total_");
  readField<std::string>(record, "zram_reason", s.zram.reason);
  readFields(record, s.totals);
  std::vector<BusRecord> unreadable;
  readField<std::vector<BusRecord>>(record, "unreadable_processes", unreadable);
  for (const BusRecord& r : unreadable) {
    UnreadableProcess p;
    std::int32_t pid = 0;
    readField<std::int32_t>(r, "pid", pid);
    p.pid = pid;
    readField<std::string>(r, "comm", p.comm);
    std::optional<std::uint32_t> uid;
    readField<std::uint32_t>(r, "uid", uid);
    if (uid) p.uid = *uid;
    s.unreadable.push_back(std::move(p));
  }
  return s;
}

}  // namespace jmem
