#include "bus/records.h"

#include <algorithm>

namespace jmem {
namespace {

std::vector<std::uint32_t> wirePids(const std::vector<pid_t>& pids) {
  return {pids.begin(), pids.end()};
}

}  // namespace

BusRecord encodeProcess(const LedgerProcess& process) {
  const ProcessSample& s = process.sample;
  const SmapsRollup& r = s.rollup;
  BusRecord out{
      {"pid", sdbus::Variant(static_cast<std::uint32_t>(s.pid))},
      {"comm", sdbus::Variant(s.comm)},
      {"cmdline", sdbus::Variant(s.cmdline.str())},
      {"uid", sdbus::Variant(static_cast<std::uint32_t>(s.uid))},
      {"unit", sdbus::Variant(s.placement.unit)},
      {"slice", sdbus::Variant(s.placement.slice)},
      {"manager", sdbus::Variant(s.placement.manager)},
      {"rss_bytes", sdbus::Variant(r.rss_bytes)},
      {"pss_bytes", sdbus::Variant(r.pss_bytes)},
      {"swap_bytes", sdbus::Variant(r.swap_bytes)},
      {"swap_pss_bytes", sdbus::Variant(r.swap_pss_bytes)},
      {"nvmap_bytes", sdbus::Variant(process.nvmap_bytes)},
      {"gpu_bytes", sdbus::Variant(process.gpu_bytes)},
      {"gpu_shared_bytes", sdbus::Variant(process.gpu_shared_bytes)},
      // For readers of the bus other than jmemctl (busctl): decodeProcess computes it.
      {"cost_bytes", sdbus::Variant(process.costBytes())},
  };
  putKnown(out, "pss_anon_bytes", r.pss_anon_bytes);
  putKnown(out, "pss_file_bytes", r.pss_file_bytes);
  putKnown(out, "pss_shmem_bytes", r.pss_shmem_bytes);
  return out;
}

LedgerProcess decodeProcess(const BusRecord& record) {
  LedgerProcess process;
  ProcessSample& s = process.sample;
  SmapsRollup& r = s.rollup;
  std::uint32_t pid = 0;
  std::uint32_t uid = 0;
  readField<std::uint32_t>(record, "pid", pid);
  readField<std::uint32_t>(record, "uid", uid);
  s.pid = static_cast<pid_t>(pid);
  s.uid = static_cast<uid_t>(uid);
  readField<std::string>(record, "comm", s.comm);
  readField<std::string>(record, "cmdline", s.cmdline);
  readField<std::string>(record, "unit", s.placement.unit);
  readField<std::string>(record, "slice", s.placement.slice);
  readField<std::string>(record, "manager", s.placement.manager);
  r.has_memory = true;  // the ledger holds only processes with memory
  readField<std::uint64_t>(record, "rss_bytes", r.rss_bytes);
  readField<std::uint64_t>(record, "pss_bytes", r.pss_bytes);
  readField<std::uint64_t>(record, "pss_anon_bytes", r.pss_anon_bytes);
  readField<std::uint64_t>(record, "pss_file_bytes", r.pss_file_bytes);
  readField<std::uint64_t>(record, "pss_shmem_bytes", r.pss_shmem_bytes);
  readField<std::uint64_t>(record, "swap_bytes", r.swap_bytes);
  readField<std::uint64_t>(record, "swap_pss_bytes", r.swap_pss_bytes);
  readField<std::uint64_t>(record, "nvmap_bytes", process.nvmap_bytes);
  readField<std::uint64_t>(record, "gpu_bytes", process.gpu_bytes);
  readField<std::uint64_t>(record, "gpu_shared_bytes", process.gpu_shared_bytes);
  return process;
}

BusRecord encodeUnit(const LedgerUnit& unit, const std::vector<pid_t>& pids) {
  const PssParts& m = unit.memory;
  BusRecord out{
      {"unit", sdbus::Variant(unit.unit)},
      {"manager", sdbus::Variant(unit.manager)},
      {"pss_bytes", sdbus::Variant(m.pss_bytes)},
      {"swap_pss_bytes", sdbus::Variant(m.swap_pss_bytes)},
      {"nvmap_bytes", sdbus::Variant(m.nvmap_bytes)},
      {"gpu_bytes", sdbus::Variant(m.gpu_bytes)},
      {"gpu_shared_bytes", sdbus::Variant(m.gpu_shared_bytes)},
      {"cost_bytes", sdbus::Variant(m.costBytes())},
      {"processes", sdbus::Variant(wirePids(pids))},
  };
  putKnown(out, "pss_anon_bytes", m.pss_anon_bytes);
  putKnown(out, "pss_file_bytes", m.pss_file_bytes);
  putKnown(out, "pss_shmem_bytes", m.pss_shmem_bytes);
  return out;
}

LedgerUnit decodeUnit(const BusRecord& record) {
  LedgerUnit unit;
  PssParts& m = unit.memory;
  readField<std::string>(record, "unit", unit.unit);
  readField<std::string>(record, "manager", unit.manager);
  readField<std::uint64_t>(record, "pss_bytes", m.pss_bytes);
  m.pss_anon_bytes.reset();
  m.pss_file_bytes.reset();
  m.pss_shmem_bytes.reset();
  readField<std::uint64_t>(record, "pss_anon_bytes", m.pss_anon_bytes);
  readField<std::uint64_t>(record, "pss_file_bytes", m.pss_file_bytes);
  readField<std::uint64_t>(record, "pss_shmem_bytes", m.pss_shmem_bytes);
  readField<std::uint64_t>(record, "swap_pss_bytes", m.swap_pss_bytes);
  readField<std::uint64_t>(record, "nvmap_bytes", m.nvmap_bytes);
  readField<std::uint64_t>(record, "gpu_bytes", m.gpu_bytes);
  readField<std::uint64_t>(record, "gpu_shared_bytes", m.gpu_shared_bytes);
  std::vector<std::uint32_t> pids;
  readField<std::vector<std::uint32_t>>(record, "processes", pids);
  unit.pids.assign(pids.begin(), pids.end());
  return unit;
}

SystemRecord systemRecord(const Ledger& ledger, std::uint64_t sample_usec) {
  const Meminfo& m = ledger.system.meminfo;
  const Pressure& p = ledger.system.pressure;
  const LedgerTotals& t = ledger.totals;
  SystemRecord s;
  s.sample_usec = sample_usec;
  s.mem_total_bytes = m.mem_total_bytes;
  s.mem_free_bytes = m.mem_free_bytes;
  s.mem_available_bytes = m.mem_available_bytes;
  s.swap_total_bytes = m.swap_total_bytes;
  s.swap_free_bytes = m.swap_free_bytes;
  s.pss_bytes = t.memory.pss_bytes;
  if (ledger.system.nvmap.available) s.nvmap_total_bytes = ledger.system.nvmap.total_bytes;
  if (p.available) {
    s.some_avg10_permyriad = p.some.avg10_permyriad;
    s.some_avg60_permyriad = p.some.avg60_permyriad;
    s.full_avg10_permyriad = p.full.avg10_permyriad;
    s.full_avg60_permyriad = p.full.avg60_permyriad;
  }
  s.used_bytes = t.used_bytes;
  s.unaccounted_bytes = t.unaccounted_bytes;
  s.processes = static_cast<std::uint32_t>(t.counts.with_memory);
  s.processes_without_memory = static_cast<std::uint32_t>(t.counts.without_memory);
  s.processes_denied = static_cast<std::uint32_t>(t.counts.denied);
  s.processes_invalid = static_cast<std::uint32_t>(t.counts.invalid);
  return s;
}

BusRecord encodeSystem(const SystemRecord& s) {
  BusRecord out{
      {"sample_usec", sdbus::Variant(s.sample_usec)},
      {"mem_total_bytes", sdbus::Variant(s.mem_total_bytes)},
      {"mem_free_bytes", sdbus::Variant(s.mem_free_bytes)},
      {"mem_available_bytes", sdbus::Variant(s.mem_available_bytes)},
      {"pss_bytes", sdbus::Variant(s.pss_bytes)},
      {"used_bytes", sdbus::Variant(s.used_bytes)},
      {"unaccounted_bytes", sdbus::Variant(s.unaccounted_bytes)},
      {"processes", sdbus::Variant(s.processes)},
      {"processes_without_memory", sdbus::Variant(s.processes_without_memory)},
      {"processes_denied", sdbus::Variant(s.processes_denied)},
      {"processes_invalid", sdbus::Variant(s.processes_invalid)},
  };
  putKnown(out, "swap_total_bytes", s.swap_total_bytes);
  putKnown(out, "swap_free_bytes", s.swap_free_bytes);
  putKnown(out, "nvmap_total_bytes", s.nvmap_total_bytes);
  putKnown(out, "some_avg10_permyriad", s.some_avg10_permyriad);
  putKnown(out, "some_avg60_permyriad", s.some_avg60_permyriad);
  putKnown(out, "full_avg10_permyriad", s.full_avg10_permyriad);
  putKnown(out, "full_avg60_permyriad", s.full_avg60_permyriad);
  return out;
}

SystemRecord decodeSystem(const BusRecord& record) {
  SystemRecord s;
  readField<std::uint64_t>(record, "sample_usec", s.sample_usec);
  readField<std::uint64_t>(record, "mem_total_bytes", s.mem_total_bytes);
  readField<std::uint64_t>(record, "mem_free_bytes", s.mem_free_bytes);
  readField<std::uint64_t>(record, "mem_available_bytes", s.mem_available_bytes);
  readField<std::uint64_t>(record, "swap_total_bytes", s.swap_total_bytes);
  readField<std::uint64_t>(record, "swap_free_bytes", s.swap_free_bytes);
  readField<std::uint64_t>(record, "pss_bytes", s.pss_bytes);
  readField<std::uint64_t>(record, "nvmap_total_bytes", s.nvmap_total_bytes);
  readField<std::uint32_t>(record, "some_avg10_permyriad", s.some_avg10_permyriad);
  readField<std::uint32_t>(record, "some_avg60_permyriad", s.some_avg60_permyriad);
  readField<std::uint32_t>(record, "full_avg10_permyriad", s.full_avg10_permyriad);
  readField<std::uint32_t>(record, "full_avg60_permyriad", s.full_avg60_permyriad);
  readField<std::uint64_t>(record, "used_bytes", s.used_bytes);
  readField<std::int64_t>(record, "unaccounted_bytes", s.unaccounted_bytes);
  readField<std::uint32_t>(record, "processes", s.processes);
  readField<std::uint32_t>(record, "processes_without_memory", s.processes_without_memory);
  readField<std::uint32_t>(record, "processes_denied", s.processes_denied);
  readField<std::uint32_t>(record, "processes_invalid", s.processes_invalid);
  return s;
}

}  // namespace jmem
