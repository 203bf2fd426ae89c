#include "ledger/ledger_json.h"

#include "gpu/gpu_json.h"

namespace jmem {
namespace {

using Json = nlohmann::ordered_json;

Json optionalBytes(const std::optional<std::uint64_t>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json meminfoJson(const Meminfo& m) {
  return Json{
      {"mem_total_bytes", m.mem_total_bytes},
      {"mem_free_bytes", m.mem_free_bytes},
      {"mem_available_bytes", m.mem_available_bytes},
      {"buffers_bytes", optionalBytes(m.buffers_bytes)},
      {"cached_bytes", optionalBytes(m.cached_bytes)},
      {"shmem_bytes", optionalBytes(m.shmem_bytes)},
      {"swap_total_bytes", optionalBytes(m.swap_total_bytes)},
      {"swap_free_bytes", optionalBytes(m.swap_free_bytes)},
      {"cma_total_bytes", optionalBytes(m.cma_total_bytes)},
      {"cma_free_bytes", optionalBytes(m.cma_free_bytes)},
      {"nvmap_mem_used_bytes", optionalBytes(m.nvmap_mem_used_bytes)},
      {"nvmap_mem_free_bytes", optionalBytes(m.nvmap_mem_free_bytes)},
  };
}

Json pressureLineJson(const PressureLine& line) {
  return Json{{"avg10_permyriad", line.avg10_permyriad},
              {"avg60_permyriad", line.avg60_permyriad},
              {"avg300_permyriad", line.avg300_permyriad},
              {"total_usec", line.total_usec}};
}

Json pressureJson(const Pressure& p) {
  if (!p.available) return Json{{"available", false}, {"some", nullptr}, {"full", nullptr}};
  return Json{{"available", true}, {"some", pressureLineJson(p.some)}, {"full", pressureLineJson(p.full)}};
}

Json nvmapJson(const NvmapSnapshot& nvmap) {
  Json clients = Json::array();
  for (const NvmapHeap& heap : nvmap.heaps) {
    for (const NvmapClient& c : heap.clients) {
      clients.push_back(Json{{"heap", c.heap},
                             {"client", c.client},
                             {"process", c.process},
                             {"pid", c.pid},
                             {"bytes", c.bytes}});
    }
  }
  Json heaps = Json::array();
  for (const NvmapHeap& heap : nvmap.heaps) {
    heaps.push_back(
        Json{{"heap", heap.name}, {"total_bytes", heap.total_bytes}, {"skipped_rows", heap.skipped_rows}});
  }
  Json out{{"available", nvmap.available},
           {"total_bytes", nvmap.available ? Json(nvmap.total_bytes) : Json(nullptr)}};
  if (!nvmap.available) out["reason"] = nvmap.reason;
  out["heaps"] = std::move(heaps);
  out["clients"] = std::move(clients);
  return out;
}

void putParts(Json& out, const PssParts& parts) {
  out["pss_bytes"] = parts.pss_bytes;
  out["pss_anon_bytes"] = optionalBytes(parts.pss_anon_bytes);
  out["pss_file_bytes"] = optionalBytes(parts.pss_file_bytes);
  out["pss_shmem_bytes"] = optionalBytes(parts.pss_shmem_bytes);
  out["swap_pss_bytes"] = parts.swap_pss_bytes;
  out["nvmap_bytes"] = parts.nvmap_bytes;
  out["gpu_bytes"] = parts.gpu_bytes;
  out["gpu_shared_bytes"] = parts.gpu_shared_bytes;
  out["cost_bytes"] = parts.costBytes();
}

Json totalsJson(const LedgerTotals& t) {
  Json out{
      {"processes_listed", t.counts.listed},
      {"processes", t.counts.with_memory},
      {"processes_without_memory", t.counts.without_memory},
      {"processes_exited_mid_read", t.counts.exited},
      {"processes_denied", t.counts.denied},
      {"processes_invalid", t.counts.invalid},
  };
  putParts(out, t.memory);
  out["nvmap_unattributed_bytes"] = t.nvmap_unattributed_bytes;
  out["gpu_unmatched_bytes"] = t.gpu_unmatched_bytes;
  out["used_bytes"] = t.used_bytes;
  out["unaccounted_bytes"] = t.unaccounted_bytes;
  return out;
}

}  // namespace

Json processToJson(const LedgerProcess& process) {
  const ProcessSample& s = process.sample;
  const SmapsRollup& r = s.rollup;
  return Json{
      {"pid", s.pid},
      {"comm", s.comm},
      {"cmdline", s.cmdline.str()},
      {"uid", s.uid},
      {"unit", s.placement.unit},
      {"slice", s.placement.slice},
      {"manager", s.placement.manager},
      {"rss_bytes", r.rss_bytes},
      {"pss_bytes", r.pss_bytes},
      {"pss_anon_bytes", optionalBytes(r.pss_anon_bytes)},
      {"pss_file_bytes", optionalBytes(r.pss_file_bytes)},
      {"pss_shmem_bytes", optionalBytes(r.pss_shmem_bytes)},
      {"swap_bytes", r.swap_bytes},
      {"swap_pss_bytes", r.swap_pss_bytes},
      {"nvmap_bytes", process.nvmap_bytes},
      {"gpu_bytes", process.gpu_bytes},
      {"gpu_shared_bytes", process.gpu_shared_bytes},
      {"cost_bytes", process.costBytes()},
  };
}

Json unitToJson(const LedgerUnit& unit) {
  Json out{{"unit", unit.unit}, {"manager", unit.manager}};
  putParts(out, unit.memory);
  out["processes"] = unit.pids;
  return out;
}

nlohmann::ordered_json ledgerToJson(const Ledger& ledger) {
  Json processes = Json::array();
  for (const LedgerProcess& process : ledger.processes) processes.push_back(processToJson(process));
  Json units = Json::array();
  for (const LedgerUnit& unit : ledger.units) units.push_back(unitToJson(unit));
  Json gpus = Json::array();
  for (const GpuDevice& device : ledger.system.gpus.devices) gpus.push_back(gpuToJson(device));
  return Json{
      {"schema_version", kLedgerSchemaVersion},
      {"meminfo", meminfoJson(ledger.system.meminfo)},
      {"pressure", pressureJson(ledger.system.pressure)},
      {"nvmap", nvmapJson(ledger.system.nvmap)},
      {"nvml", nvmlToJson(ledger.system.gpus)},
      {"gpus", std::move(gpus)},
      {"processes", std::move(processes)},
      {"units", std::move(units)},
      {"totals", totalsJson(ledger.totals)},
  };
}

}  // namespace jmem
