#include "bus/manager_object.h"

#include <spdlog/spdlog.h>

#include "ledger/ranking.h"

namespace jmem {
namespace {

sdbus::Error busError(const char* name, const std::string& message) {
  return sdbus::Error(std::string(kErrorPrefix) + name, message);
}

std::uint32_t toU32(std::int64_t value) {
  return static_cast<std::uint32_t>(value);
}

}  // namespace

ManagerObject::ManagerObject(sdbus::IConnection& connection, const GovernorState& state,
                             Authorizer& authorizer, ManagerHandlers handlers)
    : AdaptorInterfaces(connection, kObjectPath),
      state_(state),
      authorizer_(authorizer),
      handlers_(std::move(handlers)) {
  registerAdaptor();
}

ManagerObject::~ManagerObject() {
  unregisterAdaptor();
}

void ManagerObject::announce(const std::vector<std::string>& properties) {
  if (!properties.empty()) getObject().emitPropertiesChangedSignal(INTERFACE_NAME, properties);
}

std::string ManagerObject::Version() {
  return JMEM_VERSION;
}

const Ledger& ManagerObject::ledgerOrThrow() const {
  if (!state_.ledger)
    throw busError("NotReady", "The governor has not taken its first sample yet; try again in a second");
  return *state_.ledger;
}

void ManagerObject::requireManage(const char* method) {
  const auto* message = getObject().getCurrentlyProcessedMessage();
  const uid_t uid = message->getCredsUid();
  const std::string sender = message->getSender();
  if (!authorizer_.mayManage(uid, sender)) {
    throw busError("AccessDenied", std::string(method) + " needs root or the polkit action " + kManageAction +
                                       "; uid " + std::to_string(uid) + " has neither");
  }
  spdlog::info("{} called by uid {} ({})", method, uid, sender);
}

ManagerObject::SystemStruct ManagerObject::GetSystem() {
  const Ledger& ledger = ledgerOrThrow();
  const Meminfo& m = ledger.system.meminfo;
  const Pressure& p = ledger.system.pressure;
  const LedgerTotals& t = ledger.totals;
  return SystemStruct{state_.figures.last_sample_usec,
                      m.mem_total_bytes,
                      m.mem_free_bytes,
                      m.mem_available_bytes,
                      m.swap_total_bytes.value_or(0),
                      m.swap_free_bytes.value_or(0),
                      t.memory.pss_bytes,
                      ledger.system.nvmap.available,
                      ledger.system.nvmap.total_bytes,
                      p.available,
                      p.some.avg10_permyriad,
                      p.some.avg60_permyriad,
                      p.full.avg10_permyriad,
                      p.full.avg60_permyriad,
                      t.used_bytes,
                      static_cast<uint64_t>(std::max<std::int64_t>(t.unaccounted_bytes, 0)),
                      static_cast<uint32_t>(t.counts.with_memory),
                      static_cast<uint32_t>(t.counts.without_memory),
                      static_cast<uint32_t>(t.counts.denied),
                      static_cast<uint32_t>(t.counts.invalid)};
}

std::vector<ManagerObject::ProcessStruct> ManagerObject::ListProcesses(const uint32_t& limit,
                                                                       const std::string& sort) {
  const auto key = parseSortKey(sort);
  if (!key) throw busError("InvalidArgument", key.error().message);
  const auto ranked = topProcesses(ledgerOrThrow(), *key, limit);
  if (!ranked) throw busError("InvalidArgument", ranked.error().message);
  std::vector<ProcessStruct> out;
  out.reserve(ranked->size());
  for (const LedgerProcess* process : *ranked) {
    const ProcessSample& s = process->sample;
    const SmapsRollup& r = s.rollup;
    out.emplace_back(toU32(s.pid), s.comm, static_cast<uint32_t>(s.uid), s.placement.unit,
                     s.placement.manager, s.cmdline, r.rss_bytes, r.pss_bytes, r.pss_anon_bytes.value_or(0),
                     r.pss_file_bytes.value_or(0), r.pss_shmem_bytes.value_or(0), r.swap_pss_bytes,
                     process->nvmap_bytes, process->costBytes(), process->gpu_bytes,
                     process->gpu_shared_bytes);
  }
  return out;
}

std::vector<ManagerObject::UnitStruct> ManagerObject::ListUnits(const uint32_t& limit,
                                                                const std::string& sort) {
  const auto key = parseSortKey(sort);
  if (!key) throw busError("InvalidArgument", key.error().message);
  const auto ranked = topUnits(ledgerOrThrow(), *key, limit);
  if (!ranked) throw busError("InvalidArgument", ranked.error().message);
  std::vector<UnitStruct> out;
  out.reserve(ranked->size());
  for (const LedgerUnit* unit : *ranked) {
    const PssParts& m = unit->memory;
    std::vector<uint32_t> pids(unit->pids.begin(), unit->pids.end());
    out.emplace_back(unit->unit, unit->manager, m.pss_bytes, m.pss_anon_bytes, m.pss_file_bytes,
                     m.pss_shmem_bytes, m.swap_pss_bytes, m.nvmap_bytes, m.costBytes(), std::move(pids),
                     m.gpu_bytes, m.gpu_shared_bytes);
  }
  return out;
}

std::tuple<bool, std::string, std::vector<ManagerObject::GpuStruct>> ManagerObject::GetGpus() {
  const GpuSnapshot& gpus = ledgerOrThrow().system.gpus;
  std::vector<GpuStruct> out;
  out.reserve(gpus.devices.size());
  for (const GpuDevice& d : gpus.devices) {
    const bool memory_known = d.total_bytes && d.used_bytes;
    out.emplace_back(d.index, d.name, d.uuid, d.integrated, memory_known, d.total_bytes.value_or(0),
                     d.reserved_bytes.value_or(0), d.used_bytes.value_or(0), d.processes_complete,
                     d.attributed_bytes, d.unattributed_bytes.value_or(0),
                     static_cast<uint32_t>(d.processes.size()), d.problems);
  }
  return {gpus.available, gpus.available ? std::string() : gpus.reason, std::move(out)};
}

sdbus::Struct<uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t> ManagerObject::GetSelfStats() {
  const SelfStats& s = state_.self_stats;
  return {s.ticks(),
          s.latenessPercentileUsec(50),
          s.latenessPercentileUsec(99),
          s.latenessMaxUsec(),
          s.cpuMeanUsec(),
          static_cast<uint64_t>(s.lastRollupReads())};
}

void ManagerObject::Reload() {
  requireManage("Reload");
  if (auto reloaded = handlers_.reload(); !reloaded) throw busError("ReloadFailed", reloaded.error().message);
}

std::tuple<bool, std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string,
                                           std::string, std::string, uint64_t>>>
ManagerObject::Check() {
  const compliance::CheckReport report = handlers_.check();
  std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string, std::string,
                            std::string, uint64_t>>
      items;
  for (const auto& item : report.items) {
    items.emplace_back(std::string(compliance::toString(item.kind)), item.subject, item.policy_class,
                       item.expected, item.actual, std::string(compliance::toString(item.state)),
                       item.where.line ? item.where.file + ":" + std::to_string(item.where.line) + ":" +
                                             std::to_string(item.where.column)
                                       : item.where.file,
                       item.cost_bytes);
  }
  return {report.compliant(), std::move(items)};
}

std::tuple<std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint64_t>>,
           std::vector<std::string>, bool>
ManagerObject::Plan() {
  const compliance::Plan plan = handlers_.plan();
  std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint64_t>> changes;
  for (const auto& change : plan.changes) {
    changes.emplace_back(std::string(compliance::toString(change.kind)), change.subject, change.before,
                         change.after, change.bytes_back);
  }
  return {std::move(changes), plan.notes, plan.reboot_needed};
}

namespace {

std::vector<sdbus::Struct<std::string, std::string, std::string, bool>> changeResults(
    const std::vector<compliance::ChangeResult>& results) {
  std::vector<sdbus::Struct<std::string, std::string, std::string, bool>> out;
  for (const auto& r : results) out.emplace_back(r.kind, r.target, r.detail, r.ok);
  return out;
}

}  // namespace

std::vector<sdbus::Struct<std::string, std::string, std::string, bool>> ManagerObject::Apply() {
  requireManage("Apply");
  auto applied = handlers_.apply();
  if (!applied) throw busError("ApplyFailed", applied.error().message);
  for (const auto& r : *applied) emitActionTaken(r.target, r.kind, r.detail);
  return changeResults(*applied);
}

std::vector<sdbus::Struct<std::string, std::string, std::string, bool>> ManagerObject::Revert() {
  requireManage("Revert");
  auto reverted = handlers_.revert();
  if (!reverted) throw busError("RevertFailed", reverted.error().message);
  for (const auto& r : *reverted) emitActionTaken(r.target, "revert " + r.kind, r.detail);
  return changeResults(*reverted);
}

std::tuple<
    std::string, std::vector<std::string>, std::string, std::vector<std::string>,
    std::vector<sdbus::Struct<std::string, uint64_t, uint64_t, bool, bool, bool>>,
    std::vector<sdbus::Struct<std::string, bool, std::string>>,
    std::vector<sdbus::Struct<uint64_t, std::string, std::string, std::string, uint64_t, bool, std::string>>>
ManagerObject::GetThrottle() {
  const auto& t = state_.throttle;
  std::vector<sdbus::Struct<std::string, uint64_t, uint64_t, bool, bool, bool>> units;
  for (const auto& u : t.units) {
    units.emplace_back(u.unit, u.memory_high_bytes.value_or(0), u.prior_memory_high_bytes.value_or(0),
                       u.frozen, u.stopped, u.by_operator);
  }
  const auto& c = state_.controls;
  std::vector<sdbus::Struct<std::string, bool, std::string>> controls;
  controls.emplace_back("throttle", c.memory_high,
                        c.memory_high ? std::string("MemoryHigh=") : c.memory_high_note);
  controls.emplace_back("freeze", c.freeze != throttle::FreezeMethod::kNone, c.freeze_note);
  std::vector<sdbus::Struct<uint64_t, std::string, std::string, std::string, uint64_t, bool, std::string>>
      recent;
  for (const auto& r : t.recent) {
    recent.emplace_back(r.time_usec, r.action.unit, std::string(throttle::toString(r.action.kind)), r.origin,
                        r.action.memory_high_bytes.value_or(0), r.ok, r.ok ? r.action.reason : r.error);
  }
  std::string phase(throttle::toString(t.phase));
  if (!state_.throttle_off.empty()) phase = "off";
  std::string waiting = state_.throttle_off.empty() ? t.waiting : state_.throttle_off;
  return {phase, t.triggers, waiting, t.would, std::move(units), std::move(controls), std::move(recent)};
}

std::vector<ManagerObject::ActionStruct> ManagerObject::operatorActions(const char* method,
                                                                        const std::string& unit) {
  requireManage(method);
  if (!state_.throttle_off.empty()) throw busError("ThrottleUnavailable", state_.throttle_off);
  auto records = std::string(method) == "Throttle" ? handlers_.throttle(unit) : handlers_.release(unit);
  if (!records) {
    throw busError(records.error().errno_value == ENOENT || records.error().errno_value == EPERM
                       ? "Refused"
                       : "ActionFailed",
                   records.error().message);
  }
  std::vector<ActionStruct> out;
  for (const auto& r : *records) {
    out.emplace_back(r.action.unit, std::string(throttle::toString(r.action.kind)),
                     r.action.memory_high_bytes.value_or(0), r.ok, r.ok ? r.action.reason : r.error);
  }
  return out;
}

std::vector<ManagerObject::ActionStruct> ManagerObject::Throttle(const std::string& unit) {
  return operatorActions("Throttle", unit);
}

std::vector<ManagerObject::ActionStruct> ManagerObject::Release(const std::string& unit) {
  return operatorActions("Release", unit);
}

}  // namespace jmem
