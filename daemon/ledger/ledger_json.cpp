#include "ledger/ledger_json.h"

#include "gpu/gpu_json.h"

namespace jmem {
namespace {

using Json = nlohmann::ordered_json;

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
  Json out = nvmapTotalToJson(nvmap);
  out["heaps"] = std::move(heaps);
  out["clients"] = std::move(clients);
  return out;
}

}  // namespace

Json unreadableToJson(const std::vector<UnreadableProcess>& processes) {
  Json out = Json::array();
  for (const UnreadableProcess& p : processes) {
    if (out.size() == kMaxUnreadableListed) break;
    out.push_back(Json{{"pid", p.pid},
                       {"comm", p.comm.empty() ? Json(nullptr) : Json(p.comm)},
                       {"uid", p.uid ? Json(*p.uid) : Json(nullptr)}});
  }
  return out;
}

Json processToJson(const LedgerProcess& process) {
  return fieldsToJson(process);
}

Json unitToJson(const LedgerUnit& unit) {
  Json out = fieldsToJson(unit);
  out["processes"] = unit.pids;
  return out;
}

Json pressureToJson(const Pressure& p) {
  if (!p.available) return Json{{"available", false}, {"some", nullptr}, {"full", nullptr}};
  return Json{{"available", true}, {"some", fieldsToJson(p.some)}, {"full", fieldsToJson(p.full)}};
}

Json nvmapTotalToJson(const NvmapSnapshot& nvmap) {
  Json out{{"available", nvmap.available},
           {"total_bytes", nvmap.available ? Json(nvmap.total_bytes) : Json(nullptr)}};
  if (!nvmap.available) out["reason"] = nvmap.reason;
  return out;
}

Json zramToJson(const ZramSnapshot& zram) {
  Json out{{"available", zram.available}};
  if (!zram.available) out["reason"] = zram.reason;
  Json devices = Json::array();
  for (const ZramDevice& device : zram.devices) devices.push_back(fieldsToJson(device));
  out["devices"] = std::move(devices);
  out["totals"] = zram.available ? fieldsToJson(zram.totals) : Json(nullptr);
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
      {"meminfo", fieldsToJson(ledger.system.meminfo)},
      {"pressure", pressureToJson(ledger.system.pressure)},
      {"nvmap", nvmapJson(ledger.system.nvmap)},
      {"zram", zramToJson(ledger.system.zram)},
      {"nvml", nvmlToJson(ledger.system.gpus)},
      {"gpus", std::move(gpus)},
      {"processes", std::move(processes)},
      {"units", std::move(units)},
      {"totals", fieldsToJson(ledger.totals)},
      {"unreadable_processes", unreadableToJson(ledger.unreadable)},
  };
}

}  // namespace jmem
