#include "bus/bus_bridge.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>

#include <cstring>

namespace jmem {

Result<std::unique_ptr<BusBridge>> BusBridge::attach(sd_event* event, sdbus::IConnection& connection,
                                                     Lost lost) {
  std::unique_ptr<BusBridge> bridge(new BusBridge(connection, std::move(lost)));
  const auto poll_data = sdbus_compat::pollData(connection);
  int r = sd_event_add_io(event, &bridge->io_, poll_data.fd, static_cast<uint32_t>(poll_data.events), onIo,
                          bridge.get());
  if (r < 0) return Error{std::string("Failed to watch the bus: ") + std::strerror(-r), -r};
  if (poll_data.event_fd >= 0) {
    r = sd_event_add_io(event, &bridge->wakeup_, poll_data.event_fd, EPOLLIN, onIo, bridge.get());
    if (r < 0) return Error{std::string("Failed to watch the bus's event fd: ") + std::strerror(-r), -r};
    sd_event_source_set_description(bridge->wakeup_, "bus-wakeup");
  }
  r = sd_event_source_set_prepare(bridge->io_, onPrepare);
  if (r < 0) return Error{std::string("Failed to watch the bus: ") + std::strerror(-r), -r};
  r = sd_event_add_time(event, &bridge->time_, CLOCK_MONOTONIC, UINT64_MAX, 0, onTime, bridge.get());
  if (r < 0) return Error{std::string("Failed to add the bus timer: ") + std::strerror(-r), -r};
  sd_event_source_set_description(bridge->io_, "bus-io");
  sd_event_source_set_description(bridge->time_, "bus-timeout");
  return bridge;
}

BusBridge::~BusBridge() {
  sd_event_source_disable_unref(io_);
  sd_event_source_disable_unref(time_);
  sd_event_source_disable_unref(wakeup_);
}

int BusBridge::onPrepare(sd_event_source*, void* userdata) {
  auto* self = static_cast<BusBridge*>(userdata);
  try {
    const auto poll_data = sdbus_compat::pollData(self->connection_);
    sd_event_source_set_io_events(self->io_, static_cast<uint32_t>(poll_data.events));
    if (poll_data.timeout_usec == UINT64_MAX) {
      sd_event_source_set_enabled(self->time_, SD_EVENT_OFF);
    } else {
      sd_event_source_set_time(self->time_, poll_data.timeout_usec);
      sd_event_source_set_enabled(self->time_, SD_EVENT_ONESHOT);
    }
  } catch (const sdbus::Error& e) {
    return self->fail("no poll data: " + e.getMessage());
  }
  return 0;
}

int BusBridge::fail(const std::string& why) {
  sd_event_source_set_enabled(io_, SD_EVENT_OFF);
  sd_event_source_set_enabled(time_, SD_EVENT_OFF);
  if (wakeup_ != nullptr) sd_event_source_set_enabled(wakeup_, SD_EVENT_OFF);
  lost_(why);
  return 0;
}

int BusBridge::onIo(sd_event_source*, int, uint32_t, void* userdata) {
  return static_cast<BusBridge*>(userdata)->drain();
}

int BusBridge::onTime(sd_event_source*, uint64_t, void* userdata) {
  return static_cast<BusBridge*>(userdata)->drain();
}

int BusBridge::drain() {
  // A bounded batch: what stays queued makes the bus's timeout 0, so the loop comes back at once,
  // after any timer that is due. Busy clients cannot hold the sampling tick back.
  constexpr int kMaxRequestsPerWakeup = 32;
  try {
    for (int i = 0; i < kMaxRequestsPerWakeup && sdbus_compat::processPending(connection_); ++i) {
    }
  } catch (const sdbus::Error& e) {
    // dbus-daemon restarted, or it dropped this connection: the owner reconnects.
    return fail(e.getMessage());
  }
  return 0;
}

}  // namespace jmem
