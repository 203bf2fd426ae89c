#include "bus/manager_object.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "ledger/ranking.h"

namespace jmem {
namespace {

sdbus::Error busError(const char* name, const std::string& message) {
  return sdbus_compat::makeError(std::string(kErrorPrefix) + name, message);
}

// The bus error for a failure: by its kind where the kind has a name of its own, else the method's
// `failed`.
sdbus::Error busErrorFor(const char* failed, const Error& error) {
  switch (error.kind) {
    case ErrorKind::kDenied:
      return busError("AccessDenied", error.message);
    case ErrorKind::kBusy:
      return busError("Busy", error.message);
    case ErrorKind::kRefused:
      return busError("Refused", error.message);
    case ErrorKind::kFailed:
    case ErrorKind::kNotFound:
    case ErrorKind::kUnavailable:
      break;
  }
  return busError(failed, error.message);
}

// Keeps the first rows while their estimated size stays under kMaxReplyBytes; true if some went.
bool boundRows(std::vector<BusRecord>& rows) {
  std::size_t bytes = 0;
  std::size_t kept = 0;
  for (const BusRecord& row : rows) {
    bytes += wireBytes(row);
    if (bytes > kMaxReplyBytes) break;
    ++kept;
  }
  const bool truncated = kept < rows.size();
  rows.resize(kept);
  return truncated;
}

}  // namespace

ManagerObject::ManagerObject(sdbus::IConnection& connection, const GovernorState& state,
                             ManagerHandlers handlers)
    : AdaptorInterfaces(connection, sdbus::ObjectPath(kObjectPath)),
      state_(state),
      handlers_(std::move(handlers)) {
  registerAdaptor();
}

ManagerObject::~ManagerObject() {
  pending_.clear();
  unregisterAdaptor();
}

std::string ManagerObject::sender() {
  return sdbus_compat::currentSender(getObject());
}

template <typename T, typename Call, typename Send>
Reply<T> ManagerObject::defer(Call&& call, Send send) {
  using Held = std::remove_reference_t<Call>;
  if (pending_.size() >= kMaxPendingReplies) {
    call.returnError(busError("Busy", "jmemd has " + std::to_string(kMaxPendingReplies) +
                                          " calls waiting for an answer; try again shortly"));
    return {};
  }
  auto held = std::make_shared<Held>(std::move(call));
  const std::uint64_t id = next_pending_++;
  pending_.emplace(id, held);
  std::weak_ptr<Held> weak = held;
  return [this, id, weak, send](Result<T> outcome) {
    const auto result = weak.lock();
    if (!result) return;  // the connection was replaced: the caller went with it
    try {
      send(*result, outcome);
    } catch (const sdbus::Error& e) {
      spdlog::debug("Failed to answer a call: {}", e.getMessage());
    }
    pending_.erase(id);
  };
}

void ManagerObject::announce(const std::vector<std::string>& properties) {
  if (!properties.empty()) sdbus_compat::emitPropertiesChanged(getObject(), INTERFACE_NAME, properties);
}

std::string ManagerObject::Version() {
  return JMEM_VERSION;
}

const Ledger& ManagerObject::ledgerOrThrow() const {
  if (!state_.ledger)
    throw busError("NotReady", "The governor has not taken its first sample yet; try again in a second");
  return *state_.ledger;
}

BusRecord ManagerObject::GetSystem() {
  return encodeSystem(systemRecord(ledgerOrThrow(), state_.figures.last_sample_usec));
}

std::tuple<std::vector<BusRecord>, bool> ManagerObject::ListProcesses(const uint32_t& limit,
                                                                      const std::string& sort) {
  const auto key = parseSortKey(sort);
  if (!key) throw busError("InvalidArgument", key.error().message);
  const Ledger& ledger = ledgerOrThrow();
  const Viewer viewer = handlers_.viewer(sender());
  // Ranked whole, then filtered: processes the caller may not see take no places.
  const auto ranked = topProcesses(ledger, *key, viewer.visibility.hides_others ? 0 : limit);
  if (!ranked) throw busError("InvalidArgument", ranked.error().message);
  const auto visible = visibleProcesses(*ranked, viewer.visibility, viewer.caller, limit);
  std::vector<BusRecord> out;
  out.reserve(visible.size());
  for (const LedgerProcess* process : visible) out.push_back(encodeProcess(*process));
  const bool truncated = boundRows(out);
  return {std::move(out), truncated};
}

std::tuple<std::vector<BusRecord>, bool> ManagerObject::ListUnits(const uint32_t& limit,
                                                                  const std::string& sort) {
  const auto key = parseSortKey(sort);
  if (!key) throw busError("InvalidArgument", key.error().message);
  const Ledger& ledger = ledgerOrThrow();
  const Viewer viewer = handlers_.viewer(sender());
  const auto ranked = topUnits(ledger, *key, limit);
  if (!ranked) throw busError("InvalidArgument", ranked.error().message);
  std::vector<BusRecord> out;
  out.reserve(ranked->size());
  for (const LedgerUnit* unit : *ranked)
    out.push_back(encodeUnit(*unit, visiblePids(*unit, ledger, viewer.visibility, viewer.caller)));
  const bool truncated = boundRows(out);
  return {std::move(out), truncated};
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

void ManagerObject::Reload(sdbus::Result<>&& result) {
  auto reply = defer<Done>(std::move(result), [](const sdbus::Result<>& call, const Result<Done>& outcome) {
    if (!outcome) return call.returnError(busErrorFor("ReloadFailed", outcome.error()));
    call.returnResults();
  });
  if (reply) handlers_.reload(sender(), std::move(reply));
}

void ManagerObject::Check(sdbus::Result<std::string, std::vector<CheckItem>>&& result) {
  using Call = sdbus::Result<std::string, std::vector<CheckItem>>;
  auto reply = defer<compliance::CheckReport>(
      std::move(result), [](const Call& call, const Result<compliance::CheckReport>& outcome) {
        if (!outcome) return call.returnError(busErrorFor("CheckFailed", outcome.error()));
        std::vector<CheckItem> items;
        for (const auto& item : outcome->items) {
          items.emplace_back(std::string(compliance::toString(item.kind)), item.subject, item.policy_class,
                             item.expected, item.actual, std::string(compliance::toString(item.state)),
                             item.where.line ? item.where.file + ":" + std::to_string(item.where.line) + ":" +
                                                   std::to_string(item.where.column)
                                             : item.where.file,
                             item.cost_bytes);
        }
        call.returnResults(std::string(compliance::toString(outcome->verdict())), items);
      });
  if (reply) handlers_.check(sender(), std::move(reply));
}

void ManagerObject::Plan(sdbus::Result<std::vector<PlanChange>, std::vector<std::string>,
                                       std::vector<std::string>, bool>&& result) {
  using Call =
      sdbus::Result<std::vector<PlanChange>, std::vector<std::string>, std::vector<std::string>, bool>;
  auto reply = defer<compliance::Plan>(
      std::move(result), [](const Call& call, const Result<compliance::Plan>& outcome) {
        if (!outcome) return call.returnError(busErrorFor("PlanFailed", outcome.error()));
        std::vector<PlanChange> changes;
        for (const auto& change : outcome->changes) {
          changes.emplace_back(std::string(compliance::toString(change.kind)), change.subject, change.before,
                               change.after, change.bytes_back);
        }
        call.returnResults(changes, outcome->notes, outcome->unknown, outcome->reboot_needed);
      });
  if (reply) handlers_.plan(sender(), std::move(reply));
}

namespace {

std::vector<sdbus::Struct<std::string, std::string, std::string, bool>> changeResults(
    const std::vector<compliance::ChangeResult>& results) {
  std::vector<sdbus::Struct<std::string, std::string, std::string, bool>> out;
  for (const auto& r : results) out.emplace_back(r.kind, r.target, r.detail, r.ok);
  return out;
}

}  // namespace

void ManagerObject::Apply(sdbus::Result<std::vector<ChangeStruct>>&& result) {
  using Call = sdbus::Result<std::vector<ChangeStruct>>;
  auto reply = defer<std::vector<compliance::ChangeResult>>(
      std::move(result),
      [this](const Call& call, const Result<std::vector<compliance::ChangeResult>>& outcome) {
        if (!outcome) return call.returnError(busErrorFor("ApplyFailed", outcome.error()));
        for (const auto& r : *outcome) emitActionTaken(r.target, r.kind, r.detail);
        call.returnResults(changeResults(*outcome));
      });
  if (reply) handlers_.apply(sender(), std::move(reply));
}

void ManagerObject::Revert(sdbus::Result<std::vector<ChangeStruct>>&& result) {
  using Call = sdbus::Result<std::vector<ChangeStruct>>;
  auto reply = defer<std::vector<compliance::ChangeResult>>(
      std::move(result),
      [this](const Call& call, const Result<std::vector<compliance::ChangeResult>>& outcome) {
        if (!outcome) return call.returnError(busErrorFor("RevertFailed", outcome.error()));
        for (const auto& r : *outcome) emitActionTaken(r.target, "revert " + r.kind, r.detail);
        call.returnResults(changeResults(*outcome));
      });
  if (reply) handlers_.revert(sender(), std::move(reply));
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

namespace {

using ActionRow = sdbus::Struct<std::string, std::string, uint64_t, bool, std::string>;

// Throttle's and Release's answer: each action taken, or the bus error for the failure.
void answerActions(const sdbus::Result<std::vector<ActionRow>>& call,
                   const Result<std::vector<throttle::ActionRecord>>& outcome) {
  if (!outcome) return call.returnError(busErrorFor("ActionFailed", outcome.error()));
  std::vector<ActionRow> out;
  for (const auto& r : *outcome) {
    out.emplace_back(r.action.unit, std::string(throttle::toString(r.action.kind)),
                     r.action.memory_high_bytes.value_or(0), r.ok, r.ok ? r.action.reason : r.error);
  }
  call.returnResults(out);
}

}  // namespace

void ManagerObject::Throttle(sdbus::Result<std::vector<ActionStruct>>&& result, std::string unit) {
  auto reply = defer<std::vector<throttle::ActionRecord>>(std::move(result), answerActions);
  if (reply) handlers_.throttle(sender(), unit, std::move(reply));
}

void ManagerObject::Release(sdbus::Result<std::vector<ActionStruct>>&& result, std::string unit) {
  auto reply = defer<std::vector<throttle::ActionRecord>>(std::move(result), answerActions);
  if (reply) handlers_.release(sender(), unit, std::move(reply));
}

}  // namespace jmem
