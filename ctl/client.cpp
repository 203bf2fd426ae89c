#include "ctl/client.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <type_traits>
#include <utility>

#include "bus/bus_name.h"
#include "ctl/options.h"

namespace jmem::ctl {

namespace {
constexpr const char* kNoServer = "org.freedesktop.DBus.Error.NoServer";
}  // namespace

class GovernorClient::Proxy final
    : public sdbus::ProxyInterfaces<org::jmem::Governor1::Manager_proxy, sdbus::Properties_proxy> {
 public:
  explicit Proxy(sdbus::IConnection& connection)
      : ProxyInterfaces(connection, sdbus_compat::ServiceName(kBusName), sdbus::ObjectPath(kObjectPath)) {
    registerProxy();
  }
  ~Proxy() { unregisterProxy(); }
  MonitorHandlers handlers;

 private:
  void onPressureLevelChanged(const std::string& level, const uint32_t& some, const uint32_t& full) override {
    if (handlers.pressure_level_changed) handlers.pressure_level_changed(level, some, full);
  }
  void onActionTaken(const std::string& unit, const std::string& action, const std::string& reason) override {
    if (handlers.action_taken) handlers.action_taken(unit, action, reason);
  }
  void onWouldAct(const std::string& reason) override {
    if (handlers.would_act) handlers.would_act(reason);
  }
  void onPropertiesChanged(const sdbus_compat::InterfaceName& interface,
                           const sdbus_compat::PropertyMap& changed,
                           const std::vector<sdbus_compat::PropertyName>&) override {
    if (interface == Manager_proxy::INTERFACE_NAME && handlers.properties_changed)
      handlers.properties_changed(changed);
  }
};

namespace {

// sdbus-c++ names a failure to open the bus by its errno alone: name it as D-Bus does, so that it is
// told apart by its name like every other error.
std::unique_ptr<sdbus::IConnection> systemBus() {
  try {
    return sdbus::createSystemBusConnection();
  } catch (const sdbus::Error& e) {
    throw sdbus_compat::makeError(kNoServer, e.getMessage());
  }
}

}  // namespace

GovernorClient::GovernorClient() : connection_(systemBus()), proxy_(std::make_unique<Proxy>(*connection_)) {}

GovernorClient::~GovernorClient() = default;

void GovernorClient::setCallTimeout(std::chrono::milliseconds timeout) {
  connection_->setMethodCallTimeout(timeout);
}

GovernorInfo GovernorClient::info() {
  const auto all = proxy_->GetAll(org::jmem::Governor1::Manager_proxy::INTERFACE_NAME);
  auto get = [&](const char* name) -> const sdbus::Variant& {
    const auto* found = sdbus_compat::findProperty(all, name);
    if (found == nullptr)
      throw sdbus_compat::makeError("org.jmem.Governor1.Error.Failed",
                                    std::string("jmemd did not report ") + name);
    return *found;
  };
  GovernorInfo info{get("Version").get<std::string>(),
                    get("Mode").get<std::string>(),
                    get("PressureLevel").get<std::string>(),
                    get("SampleIntervalUsec").get<uint64_t>(),
                    {}};
  // A jmemd older than these properties has none to show.
  auto optional = [&](const char* name, auto& field) {
    if (const auto* found = sdbus_compat::findProperty(all, name))
      field = found->get<std::remove_reference_t<decltype(field)>>();
  };
  optional("StateProblems", info.state_problems);
  optional("SampleState", info.sample_state);
  optional("SampleError", info.sample_error);
  optional("PolicyVerdict", info.policy_verdict);
  optional("PolicyDriftItems", info.policy_drift_items);
  optional("PolicyUnknownItems", info.policy_unknown_items);
  optional("PolicyRebootPending", info.policy_reboot_pending);
  optional("PolicyCheckUsec", info.policy_check_usec);
  optional("PolicyFiles", info.policy_files);
  optional("PolicyFingerprint", info.policy_fingerprint);
  return info;
}

SystemRecord GovernorClient::system() {
  return decodeSystem(proxy_->GetSystem());
}

std::vector<LedgerProcess> GovernorClient::processes(std::uint32_t limit, SortKey sort, bool* truncated) {
  const auto [rows, cut] = proxy_->ListProcesses(limit, std::string(toString(sort)));
  if (truncated) *truncated = cut;
  std::vector<LedgerProcess> out;
  out.reserve(rows.size());
  for (const BusRecord& row : rows) out.push_back(decodeProcess(row));
  return out;
}

std::vector<LedgerUnit> GovernorClient::units(std::uint32_t limit, SortKey sort, bool* truncated) {
  const auto [rows, cut] = proxy_->ListUnits(limit, std::string(toString(sort)));
  if (truncated) *truncated = cut;
  std::vector<LedgerUnit> out;
  out.reserve(rows.size());
  for (const BusRecord& row : rows) out.push_back(decodeUnit(row));
  return out;
}

GpuSnapshot GovernorClient::gpus() {
  const auto [available, reason, gpus] = proxy_->GetGpus();
  GpuSnapshot snapshot{available, reason, {}};
  for (const BusRecord& gpu : gpus) snapshot.devices.push_back(decodeGpu(gpu));
  return snapshot;
}

std::optional<RoomRecord> GovernorClient::headroom() {
  try {
    return decodeRoom(proxy_->GetHeadroom());
  } catch (const sdbus::Error& error) {
    // A jmemd from before GetHeadroom, or a bus policy not yet reloaded: status goes on without it.
    if (error.getName() == "org.freedesktop.DBus.Error.UnknownMethod" ||
        error.getName() == "org.freedesktop.DBus.Error.AccessDenied")
      return std::nullopt;
    throw;
  }
}

ReclaimRecord GovernorClient::reclaim() {
  return decodeReclaim(proxy_->GetReclaim());
}

std::vector<JournalChangeRecord> GovernorClient::changes(bool* truncated) {
  const auto [records, cut] = proxy_->GetChanges();
  if (truncated != nullptr) *truncated = cut;
  std::vector<JournalChangeRecord> out;
  out.reserve(records.size());
  for (const BusRecord& r : records) out.push_back(decodeJournalChange(r));
  return out;
}

ExplainRecord GovernorClient::explain(const std::string& unit) {
  return decodeExplain(proxy_->Explain(unit));
}

void GovernorClient::reload() {
  proxy_->Reload();
}

CheckView GovernorClient::check() {
  const auto [verdict, items] = proxy_->Check();
  CheckView view{verdict, {}};
  for (const BusRecord& i : items) view.items.push_back(decodeCheckItem(i));
  return view;
}

PlanView GovernorClient::plan() {
  const auto [changes, notes, unknown, reboot] = proxy_->Plan();
  PlanView view{{}, notes, unknown, reboot};
  for (const BusRecord& c : changes) view.changes.push_back(decodePlanChange(c));
  return view;
}

namespace {

std::vector<ChangeResultRecord> decodeResults(const std::vector<BusRecord>& results) {
  std::vector<ChangeResultRecord> out;
  for (const BusRecord& r : results) out.push_back(decodeChangeResult(r));
  return out;
}

}  // namespace

std::vector<ChangeResultRecord> GovernorClient::apply() {
  return decodeResults(proxy_->Apply());
}

std::vector<ChangeResultRecord> GovernorClient::revert() {
  return decodeResults(proxy_->Revert());
}

ThrottleView GovernorClient::throttleState() {
  const auto [phase, triggers, waiting, would, units, controls, recent] = proxy_->GetThrottle();
  ThrottleView view{phase, triggers, waiting, would, {}, {}, {}, {}};
  for (const BusRecord& u : units) view.units.push_back(decodeThrottleUnit(u));
  for (const BusRecord& c : controls) view.controls.push_back(decodeThrottleControl(c));
  for (const BusRecord& r : recent) view.recent.push_back(decodeThrottleAction(r));
  view.rooms = roomRequests();
  return view;
}

namespace {

std::vector<ThrottleActionRecord> decodeActions(const std::vector<BusRecord>& actions) {
  std::vector<ThrottleActionRecord> out;
  for (const BusRecord& a : actions) out.push_back(decodeThrottleAction(a));
  return out;
}

}  // namespace

std::vector<ThrottleActionRecord> GovernorClient::throttle(const std::string& unit) {
  return decodeActions(proxy_->Throttle(unit));
}

std::vector<ThrottleActionRecord> GovernorClient::release(const std::string& unit) {
  return decodeActions(proxy_->Release(unit));
}

RoomRequestRecord GovernorClient::makeRoom(std::uint64_t bytes, const std::string& unit,
                                           std::uint32_t timeout_s, std::uint32_t hold_s) {
  return decodeRoomRequest(proxy_->MakeRoom(bytes, unit, timeout_s, hold_s));
}

std::vector<RoomRequestRecord> GovernorClient::roomRequests() {
  std::vector<RoomRequestRecord> out;
  try {
    for (const BusRecord& r : proxy_->GetRoomRequests()) out.push_back(decodeRoomRequest(r));
  } catch (const sdbus::Error& e) {
    if (e.getName() != "org.freedesktop.DBus.Error.UnknownMethod") throw;
  }
  return out;
}

int GovernorClient::watch(MonitorHandlers handlers) {
  proxy_->handlers = std::move(handlers);
  MonitorHandlers& h = proxy_->handlers;
  auto bus_daemon = sdbus_compat::createProxy(*connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  bool gone = false;
  bool back = false;
  bus_daemon->uponSignal("NameOwnerChanged")
      .onInterface("org.freedesktop.DBus")
      .call([&](const std::string& name, const std::string&, const std::string& new_owner) {
        if (name != kBusName) return;
        (new_owner.empty() ? gone : back) = true;
      });
  sdbus_compat::finishRegistration(*bus_daemon);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  if (h.resized) sigaddset(&mask, SIGWINCH);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
  using Clock = std::chrono::steady_clock;
  auto next_wake = Clock::now() + h.wake_every;
  int result = kExitOk;
  for (;;) {
    while (sdbus_compat::processPending(*connection_)) {
    }
    if (std::exchange(gone, false)) {
      if (h.governor_gone) h.governor_gone();
      if (!h.wait_for_return) {
        result = kExitNotRunning;
        break;
      }
    }
    if (std::exchange(back, false) && h.governor_back) h.governor_back();
    const auto poll_data = connection_->getEventLoopPollData();
    int timeout_ms = poll_data.getPollTimeout();
    if (h.wake) {
      const auto until =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_wake - Clock::now()).count();
      const int wake_ms = static_cast<int>(std::max<std::int64_t>(until, 0));
      timeout_ms = timeout_ms < 0 ? wake_ms : std::min(timeout_ms, wake_ms);
    }
    pollfd fds[] = {{poll_data.fd, poll_data.events, 0}, {signal_fd, POLLIN, 0}, {h.input_fd, POLLIN, 0}};
    if (poll(fds, h.input_fd >= 0 ? 3 : 2, timeout_ms) < 0 && errno != EINTR) break;
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(signal_fd, &info, sizeof info) == sizeof info && info.ssi_signo == SIGWINCH) {
        h.resized();
      } else {
        break;
      }
    }
    if (h.input_fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP)) && !h.input_ready()) break;
    if (h.wake && Clock::now() >= next_wake) {
      next_wake = Clock::now() + h.wake_every;
      if (!h.wake()) break;
    }
  }
  close(signal_fd);
  return result;
}

DescribedError describeError(const sdbus::Error& error) {
  const std::string& name = error.getName();
  if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
      name == "org.freedesktop.DBus.Error.NameHasNoOwner" || name == "org.freedesktop.DBus.Error.NoReply" ||
      name == "org.freedesktop.DBus.Error.Disconnected") {
    return {"jmemd is not running: org.jmem.Governor1 is not on the system bus (systemctl start jmemd)",
            kExitNotRunning};
  }
  if (name == kNoServer) return {"Cannot reach the system bus: " + error.getMessage(), kExitNotRunning};
  if (name == "org.jmem.Governor1.Error.AccessDenied" || name == "org.freedesktop.DBus.Error.AccessDenied") {
    return {"Not allowed: " + error.getMessage(), kExitDenied};
  }
  return {error.getMessage().empty() ? name : error.getMessage(), kExitFailure};
}

}  // namespace jmem::ctl
