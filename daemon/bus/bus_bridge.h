#pragma once

#include <systemd/sd-event.h>

#include <functional>
#include <memory>
#include <string>

#include "bus/sdbus_compat.h"
#include "core/result.h"

namespace jmem {

// Drives an sdbus-c++ connection from an sd-event loop, in batches the sampling tick cannot starve
// behind: its poll data (fd, events, timeout) is re-read before every poll and fed to an io and a time
// source (and, on 2.x, an io source on its event fd), and pending messages are drained when one fires.
// Everything stays on one thread.
// When the connection fails, the bridge stops watching it and tells `lost`, which must not destroy the
// bridge from inside that call.
class BusBridge {
 public:
  using Lost = std::function<void(const std::string& why)>;
  static Result<std::unique_ptr<BusBridge>> attach(sd_event* event, sdbus::IConnection& connection,
                                                   Lost lost);
  ~BusBridge();
  BusBridge(const BusBridge&) = delete;
  BusBridge& operator=(const BusBridge&) = delete;

 private:
  BusBridge(sdbus::IConnection& connection, Lost lost) : connection_(connection), lost_(std::move(lost)) {}
  int fail(const std::string& why);
  static int onPrepare(sd_event_source* source, void* userdata);
  static int onIo(sd_event_source* source, int fd, uint32_t revents, void* userdata);
  static int onTime(sd_event_source* source, uint64_t usec, void* userdata);
  int drain();

  sdbus::IConnection& connection_;
  Lost lost_;
  sd_event_source* io_ = nullptr;
  sd_event_source* time_ = nullptr;
  sd_event_source* wakeup_ = nullptr;  // 2.x: its event fd
};

}  // namespace jmem
