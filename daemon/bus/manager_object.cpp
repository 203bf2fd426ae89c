#include "bus/manager_object.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "bus/state_records.h"
#include "ledger/ranking.h"
#include "sources/cgroup_unit.h"

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
  const Viewer viewer = handlers_.viewer(sender());
  return encodeSystem(systemRecord(ledgerOrThrow(), state_.figures.last_sample_usec, [&](uid_t uid) {
    return mayShowDetails(viewer.visibility, viewer.caller, uid);
  }));
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

std::tuple<bool, std::string, std::vector<BusRecord>> ManagerObject::GetGpus() {
  const Ledger& ledger = ledgerOrThrow();
  const GpuSnapshot& gpus = ledger.system.gpus;
  const Viewer viewer = handlers_.viewer(sender());
  std::vector<BusRecord> out;
  out.reserve(gpus.devices.size());
  for (const GpuDevice& d : gpus.devices)
    out.push_back(encodeGpu(d, visibleGpuPids(d, ledger, viewer.visibility, viewer.caller)));
  return {gpus.available, gpus.available ? std::string() : gpus.reason, std::move(out)};
}

BusRecord ManagerObject::GetHeadroom() {
  return encodeRoom(roomRecord(handlers_.room()));
}

BusRecord ManagerObject::GetReclaim() {
  ledgerOrThrow();
  return encodeReclaim(reclaimRecord(handlers_.reclaim()));
}

BusRecord ManagerObject::Explain(const std::string& unit) {
  if (!isValidUnitName(unit)) throw busError("InvalidArgument", "Invalid unit name " + inQuotes(unit));
  auto explanation = handlers_.explain(unit);
  if (!explanation) throw busErrorFor("Failed", explanation.error());
  return encodeExplain(explainRecord(*explanation));
}

std::tuple<std::vector<BusRecord>, bool> ManagerObject::GetChanges() {
  std::vector<std::pair<std::uint64_t, BusRecord>> dated;
  for (const auto& [journal, changes] : handlers_.changes()) {
    for (const Change& change : *changes)
      dated.emplace_back(std::max(change.intent_time_usec, change.state_time_usec),
                         encodeJournalChange(journalChangeRecord(journal, change)));
  }
  // Newest first, so that a reply too large loses the oldest.
  std::stable_sort(dated.begin(), dated.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<BusRecord> out;
  out.reserve(dated.size());
  for (auto& [time, record] : dated) out.push_back(std::move(record));
  const bool truncated = boundRows(out);
  return {std::move(out), truncated};
}

BusRecord ManagerObject::GetSelfStats() {
  return encodeSelfStats(selfStatsRecord(state_.self_stats));
}

void ManagerObject::Reload(sdbus::Result<>&& result) {
  auto reply = defer<Done>(std::move(result), [](const sdbus::Result<>& call, const Result<Done>& outcome) {
    if (!outcome) return call.returnError(busErrorFor("ReloadFailed", outcome.error()));
    call.returnResults();
  });
  if (reply) handlers_.reload(sender(), std::move(reply));
}

namespace {

std::vector<BusRecord> changeResults(const std::vector<compliance::ChangeResult>& results) {
  std::vector<BusRecord> out;
  for (const auto& r : results) out.push_back(encodeChangeResult(changeResultRecord(r)));
  return out;
}

}  // namespace

void ManagerObject::Check(sdbus::Result<std::string, std::vector<BusRecord>>&& result) {
  using Call = sdbus::Result<std::string, std::vector<BusRecord>>;
  auto reply = defer<compliance::CheckReport>(
      std::move(result), [](const Call& call, const Result<compliance::CheckReport>& outcome) {
        if (!outcome) return call.returnError(busErrorFor("CheckFailed", outcome.error()));
        std::vector<BusRecord> items;
        for (const auto& item : outcome->items) items.push_back(encodeCheckItem(checkItemRecord(item)));
        call.returnResults(std::string(compliance::toString(outcome->verdict())), items);
      });
  if (reply) handlers_.check(sender(), std::move(reply));
}

void ManagerObject::Plan(sdbus::Result<std::vector<BusRecord>, std::vector<std::string>,
                                       std::vector<std::string>, bool>&& result) {
  using Call =
      sdbus::Result<std::vector<BusRecord>, std::vector<std::string>, std::vector<std::string>, bool>;
  auto reply = defer<compliance::Plan>(
      std::move(result), [](const Call& call, const Result<compliance::Plan>& outcome) {
        if (!outcome) return call.returnError(busErrorFor("PlanFailed", outcome.error()));
        std::vector<BusRecord> changes;
        for (const auto& change : outcome->changes) {
          changes.push_back(encodePlanChange(planChangeRecord(change)));
        }
        call.returnResults(changes, outcome->notes, outcome->unknown, outcome->reboot_needed);
      });
  if (reply) handlers_.plan(sender(), std::move(reply));
}

void ManagerObject::Apply(sdbus::Result<std::vector<BusRecord>>&& result) {
  using Call = sdbus::Result<std::vector<BusRecord>>;
  auto reply = defer<std::vector<compliance::ChangeResult>>(
      std::move(result),
      [this](const Call& call, const Result<std::vector<compliance::ChangeResult>>& outcome) {
        if (!outcome) return call.returnError(busErrorFor("ApplyFailed", outcome.error()));
        for (const auto& r : *outcome) emitActionTaken(r.target, r.kind, r.detail);
        call.returnResults(changeResults(*outcome));
      });
  if (reply) handlers_.apply(sender(), std::move(reply));
}

void ManagerObject::Revert(sdbus::Result<std::vector<BusRecord>>&& result) {
  using Call = sdbus::Result<std::vector<BusRecord>>;
  auto reply = defer<std::vector<compliance::ChangeResult>>(
      std::move(result),
      [this](const Call& call, const Result<std::vector<compliance::ChangeResult>>& outcome) {
        if (!outcome) return call.returnError(busErrorFor("RevertFailed", outcome.error()));
        for (const auto& r : *outcome) emitActionTaken(r.target, "revert " + r.kind, r.detail);
        call.returnResults(changeResults(*outcome));
      });
  if (reply) handlers_.revert(sender(), std::move(reply));
}

namespace {

// Throttle's and Release's answer: each action taken, or the bus error for the failure.
void answerActions(const sdbus::Result<std::vector<BusRecord>>& call,
                   const Result<std::vector<throttle::ActionRecord>>& outcome) {
  if (!outcome) return call.returnError(busErrorFor("ActionFailed", outcome.error()));
  std::vector<BusRecord> out;
  for (const auto& r : *outcome) out.push_back(encodeThrottleAction(throttleActionRecord(r)));
  call.returnResults(out);
}

}  // namespace

std::tuple<std::string, std::vector<std::string>, std::string, std::vector<std::string>,
           std::vector<BusRecord>, std::vector<BusRecord>, std::vector<BusRecord>>
ManagerObject::GetThrottle() {
  const auto& t = state_.throttle;
  std::vector<BusRecord> units;
  for (const auto& u : t.units) units.push_back(encodeThrottleUnit(throttleUnitRecord(u)));
  std::vector<BusRecord> controls;
  for (const auto& c : throttleControlRecords(state_.cgroup_features))
    controls.push_back(encodeThrottleControl(c));
  std::vector<BusRecord> recent;
  for (const auto& r : t.recent) recent.push_back(encodeThrottleAction(throttleActionRecord(r)));
  std::string phase(throttle::toString(t.phase));
  if (!state_.throttle_off.empty()) phase = "off";
  std::string waiting = state_.throttle_off.empty() ? t.waiting : state_.throttle_off;
  return {phase, t.triggers, waiting, t.would, std::move(units), std::move(controls), std::move(recent)};
}

void ManagerObject::Throttle(sdbus::Result<std::vector<BusRecord>>&& result, std::string unit) {
  auto reply = defer<std::vector<throttle::ActionRecord>>(std::move(result), answerActions);
  if (reply) handlers_.throttle(sender(), unit, std::move(reply));
}

void ManagerObject::MakeRoom(sdbus::Result<BusRecord>&& result, uint64_t bytes, std::string unit,
                             uint32_t timeout_sec, uint32_t hold_sec) {
  const auto refuse = [&](const std::string& why) {
    result.returnError(busErrorFor("MakeRoomFailed", Error{.message = why, .kind = ErrorKind::kRefused}));
  };
  if (bytes == 0) return refuse("Refusing to make room of 0 bytes");
  if (state_.figures.mem_total_bytes > 0 && bytes >= state_.figures.mem_total_bytes)
    return refuse("Refusing to make room of " + std::to_string(bytes) + " bytes: the device has " +
                  std::to_string(state_.figures.mem_total_bytes) + " in all");
  if (!unit.empty() && !isValidUnitName(unit))
    return refuse("Refusing to make room: not a unit name: " + unit);
  if (timeout_sec == 0 || timeout_sec > throttle::kMaxRoomTimeout.count())
    return refuse("Refusing to make room: timeout_sec must be 1 to " +
                  std::to_string(throttle::kMaxRoomTimeout.count()));
  if (hold_sec > throttle::kMaxRoomHold.count())
    return refuse("Refusing to make room: hold_sec must be at most " +
                  std::to_string(throttle::kMaxRoomHold.count()));
  throttle::RoomRequest request;
  request.requester = unit;
  request.bytes = bytes;
  request.timeout = std::chrono::seconds(timeout_sec);
  if (hold_sec > 0) request.hold = std::chrono::seconds(hold_sec);
  auto reply = defer<throttle::RoomOutcome>(
      std::move(result),
      [](const sdbus::Result<BusRecord>& call, const Result<throttle::RoomOutcome>& outcome) {
        if (!outcome) return call.returnError(busErrorFor("MakeRoomFailed", outcome.error()));
        call.returnResults(encodeRoomRequest(roomAnswerRecord(*outcome)));
      });
  if (reply) handlers_.make_room(sender(), std::move(request), std::move(reply));
}

std::vector<BusRecord> ManagerObject::GetRoomRequests() {
  std::vector<BusRecord> out;
  for (const auto& r : state_.throttle.rooms) out.push_back(encodeRoomRequest(roomRequestRecord(r)));
  return out;
}

void ManagerObject::Release(sdbus::Result<std::vector<BusRecord>>&& result, std::string unit) {
  auto reply = defer<std::vector<throttle::ActionRecord>>(std::move(result), answerActions);
  if (reply) handlers_.release(sender(), unit, std::move(reply));
}

}  // namespace jmem
