#include "model/ledger_figures.h"

namespace jmem {

LedgerFigures ledgerFigures(const Ledger& ledger, std::uint64_t sample_usec) {
  const Meminfo& m = ledger.system.meminfo;
  LedgerFigures f;
  f.last_sample_usec = sample_usec;
  f.mem_total_bytes = m.mem_total_bytes;
  f.mem_available_bytes = m.mem_available_bytes;
  f.swap_total_bytes = m.swap_total_bytes.value_or(0);
  f.swap_free_bytes = m.swap_free_bytes.value_or(0);
  f.pss_total_bytes = ledger.totals.memory.pss_bytes;
  f.nvmap_available = ledger.system.nvmap.available;
  f.nvmap_total_bytes = ledger.system.nvmap.total_bytes;
  f.pressure_available = ledger.system.pressure.available;
  f.pressure_some_avg10_permyriad = ledger.system.pressure.some.avg10_permyriad;
  f.pressure_full_avg10_permyriad = ledger.system.pressure.full.avg10_permyriad;
  f.pressure_level = pressureLevel(ledger.system.pressure);
  f.process_count = static_cast<std::uint32_t>(ledger.processes.size());
  return f;
}

}  // namespace jmem
