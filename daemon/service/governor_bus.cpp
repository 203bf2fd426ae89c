// The governor on the system bus: the served connection and its bus object, their loss and
// reconnection (the ledger and the throttle carry on meanwhile), who may call what, and bounded logs
// of what callers did.
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cerrno>

#include "bus/sdbus_compat.h"
#include "core/clock.h"
#include "service/governor.h"

namespace jmem {
namespace {

constexpr std::uint64_t kReconnectEveryUsec = 1'000'000;
// What one caller (a uid) may make jmemd log: a burst per window, then one summary line.
constexpr std::size_t kCallerLogBurst = 5;
constexpr std::uint64_t kCallerLogWindowUsec = 10'000'000;
constexpr std::size_t kMaxKnownCallers = 1024;

}  // namespace

Governor::Governor(const GovernorOptions& options)
    : options_(options), caller_log_(kCallerLogBurst, kCallerLogWindowUsec) {}

Status Governor::connectBus() {
  try {
    bus_ = sdbus::createSystemBusConnection();
    object_ = std::make_unique<ManagerObject>(*bus_, state_, busHandlers());
    sdbus_compat::requestName(*bus_, kBusName);
  } catch (const sdbus::Error& e) {
    object_.reset();
    bus_.reset();
    return Error{"Failed to serve " + std::string(kBusName) + " on the system bus: " + e.getMessage()};
  }
  auto bridge = BusBridge::attach(event_, *bus_, [this](const std::string& why) { busLost(why); });
  if (!bridge) {
    object_.reset();
    bus_.reset();
    return bridge.error();
  }
  bridge_ = std::move(*bridge);
  return ok();
}

void Governor::busLost(const std::string& why) {
  if (!bus_lost_.empty()) return;
  bus_lost_ = why;
  spdlog::error("Lost the system bus ({}); sampling and the throttle go on, reconnecting", why);
  sd_notify(0, "STATUS=Reconnecting to the system bus");
  uint64_t now = 0;
  sd_event_now(event_, CLOCK_MONOTONIC, &now);
  // Not from inside the bridge's own callback: the loop comes back to it at once.
  sd_event_source_set_time(reconnect_, now);
  sd_event_source_set_enabled(reconnect_, SD_EVENT_ONESHOT);
}

int Governor::onReconnect(sd_event_source* source, uint64_t usec, void* userdata) {
  auto* self = static_cast<Governor*>(userdata);
  // The calls waiting for an answer belong to the old connection and go first, then the connection.
  self->object_.reset();
  self->bridge_.reset();
  self->bus_.reset();
  self->caller_uids_.clear();
  // The workers find their own connections again when they next need them.
  auto connected = self->connectBus();
  if (!connected) {
    spdlog::debug("Still off the bus: {}", connected.error().message);
    // From now, not from when this attempt began: an attempt can take long.
    uint64_t now = usec;
    sd_event_now(self->event_, CLOCK_MONOTONIC, &now);
    sd_event_source_set_time(source, now + kReconnectEveryUsec);
    return sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
  }
  spdlog::info("Back on the system bus as {} (it was lost: {})", kBusName, self->bus_lost_);
  self->bus_lost_.clear();
  self->notifyStatus();
  return 0;
}

ManagerHandlers Governor::busHandlers() {
  ManagerHandlers h;
  h.reload = [this](const std::string& sender, Reply<Done> reply) {
    whenAuthorized<Done>(sender, "Reload", std::move(reply), [this](uid_t, Reply<Done> r) { r(reload()); });
  };
  h.check = [this](const std::string& sender, Reply<compliance::CheckReport> reply) {
    askShared<compliance::CheckReport>(
        check_answer_, sender, std::move(reply),
        [](compliance::PolicyKeeper& keeper, const Ledger* ledger) { return keeper.check(ledger); });
  };
  h.plan = [this](const std::string& sender, Reply<compliance::Plan> reply) {
    askShared<compliance::Plan>(
        plan_answer_, sender, std::move(reply),
        [](compliance::PolicyKeeper& keeper, const Ledger* ledger) { return keeper.plan(ledger); });
  };
  h.apply = [this](const std::string& sender, Reply<std::vector<compliance::ChangeResult>> reply) {
    applyOrRevert(sender, true, std::move(reply));
  };
  h.revert = [this](const std::string& sender, Reply<std::vector<compliance::ChangeResult>> reply) {
    applyOrRevert(sender, false, std::move(reply));
  };
  using Actions = std::vector<throttle::ActionRecord>;
  h.throttle = [this](const std::string& sender, const std::string& unit, Reply<Actions> reply) {
    whenAuthorized<Actions>(sender, "Throttle", std::move(reply), [this, unit](uid_t, Reply<Actions> r) {
      operatorAction(true, unit, std::move(r));
    });
  };
  h.release = [this](const std::string& sender, const std::string& unit, Reply<Actions> reply) {
    whenAuthorized<Actions>(sender, "Release", std::move(reply), [this, unit](uid_t, Reply<Actions> r) {
      operatorAction(false, unit, std::move(r));
    });
  };
  h.viewer = [this](const std::string& sender) { return viewerOf(sender); };
  h.state_problems = [this] {
    auto problems = worker_side_->paths.journal_status->problems();
    for (const auto& problem : throttle_problems_) problems.push_back(problem);
    return problems;
  };
  return h;
}

template <typename T>
void Governor::whenAuthorized(const std::string& sender, const char* method, Reply<T> reply,
                              std::function<void(uid_t, Reply<T>)> then) {
  if (!mayQueue(sender)) {
    return reply(Error{"jmemd is busy with earlier calls of yours; try again shortly", EBUSY});
  }
  auto side = worker_side_;
  const bool posted = worker_->post(
      [this, side, sender, method, reply, then]() -> Worker::Then {
        Authorization who;
        if (auto connected = side->ensureConnected(); !connected) {
          who.allowed = connected.error();
        } else {
          who = authorizeManage(*side->bus, sender);
        }
        return [this, sender, method, reply, then, who] {
          unqueue(sender);
          if (!who.allowed || !who.uid) {
            logRefusal(who, method, sender, who.allowed ? "unknown caller" : who.allowed.error().message);
            return reply(who.allowed ? Error{"unknown caller", EACCES} : who.allowed.error());
          }
          logAuthorized(*who.uid, method, sender);
          then(*who.uid, reply);
        };
      },
      [this, sender, reply](const std::string& why) {
        unqueue(sender);
        reply(Error{why});
      });
  if (!posted) return reply(Error{"jmemd is busy with earlier calls; try again shortly", EBUSY});
  ++queued_by_sender_[sender];
}

void Governor::logRefusal(const Authorization& who, const char* method, const std::string& sender,
                          const std::string& why) {
  const std::string key = who.uid ? "uid " + std::to_string(*who.uid) : std::string("unknown callers");
  logLimited(key, spdlog::level::info, std::string("Refused ") + method + " to " + sender + ": " + why);
}

void Governor::logAuthorized(uid_t uid, const char* method, const std::string& sender) {
  logLimited("uid " + std::to_string(uid), spdlog::level::info,
             std::string(method) + " called by uid " + std::to_string(uid) + " (" + sender + ")");
}

void Governor::logLimited(const std::string& key, spdlog::level::level_enum level, const std::string& line) {
  if (caller_log_.admit(key, realtimeUsec())) spdlog::log(level, "{}", line);
}

void Governor::logSuppressed() {
  for (const auto& summary : caller_log_.expire(realtimeUsec())) {
    spdlog::info("{} more calls from {} were not logged in the last {} s", summary.suppressed, summary.key,
                 kCallerLogWindowUsec / 1'000'000);
  }
}

void Governor::emitAction(const std::string& target, const std::string& action, const std::string& detail) {
  if (!object_) return;  // off the bus: the journal and the log still have it
  try {
    object_->emitActionTaken(target, action, detail);
  } catch (const sdbus::Error& e) {
    spdlog::warn("Failed to announce an action: {}", e.getMessage());
  }
}

void Governor::readProcPrivacy() {
  auto visibility = readProcVisibility(options_.roots);
  if (!visibility) {
    // Fail closed: other users' processes are hidden from callers other than root.
    spdlog::warn("Hiding other users' processes from callers: {}", visibility.error().message);
    proc_visibility_ = ProcVisibility{};
    proc_visibility_.hides_others = true;
    return;
  }
  proc_visibility_ = *visibility;
  if (proc_visibility_.hides_others)
    spdlog::info("/proc hides other users' processes (hidepid={}): so does the bus",
                 proc_visibility_.hidepid);
}

Viewer Governor::viewerOf(const std::string& sender) {
  Viewer viewer{proc_visibility_, Caller{}};
  if (!proc_visibility_.hides_others || !bus_) return viewer;
  // Unique names are never reused while the bus runs, so what the bus said of one stays true.
  auto known = caller_uids_.find(sender);
  if (known == caller_uids_.end()) {
    auto uid = busCallerUid(*bus_, sender, std::chrono::milliseconds(500));
    // Unknown: shown nothing of anyone's processes (a uid no process has).
    const uid_t resolved = uid ? *uid : static_cast<uid_t>(-1);
    if (caller_uids_.size() >= kMaxKnownCallers) caller_uids_.clear();
    known = caller_uids_.emplace(sender, resolved).first;
  }
  // The caller's groups are not asked for: nobody counts as the mount's gid= group but root, which
  // hides more, never less.
  viewer.caller.uid = known->second;
  return viewer;
}

}  // namespace jmem
