#pragma once
// Where sdbus-c++ 1.2 (Debian 12's, the developer build) and 2.1 (linked into the release build:
// packaging/README.md says why) differ for this project: 2.x gives names types of their own, hands
// the current message by value and renames the event-loop calls. Everything else is the same.
#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#ifndef JMEM_SDBUS_MAJOR
#error "JMEM_SDBUS_MAJOR is set by daemon/CMakeLists.txt from the sdbus-c++ it found"
#endif

namespace jmem::sdbus_compat {

#if JMEM_SDBUS_MAJOR >= 2
using ServiceName = sdbus::ServiceName;
using InterfaceName = sdbus::InterfaceName;
using PropertyName = sdbus::PropertyName;
#else
using ServiceName = std::string;
using InterfaceName = std::string;
using PropertyName = std::string;
#endif
using PropertyMap = std::map<PropertyName, sdbus::Variant>;

inline std::unique_ptr<sdbus::IProxy> createProxy(sdbus::IConnection& connection, std::string destination,
                                                  std::string path) {
  return sdbus::createProxy(connection, ServiceName(std::move(destination)),
                            sdbus::ObjectPath(std::move(path)));
}

inline sdbus::Error makeError(std::string name, std::string message) {
#if JMEM_SDBUS_MAJOR >= 2
  return sdbus::Error(sdbus::Error::Name(std::move(name)), std::move(message));
#else
  return sdbus::Error(std::move(name), std::move(message));
#endif
}

inline void requestName(sdbus::IConnection& connection, std::string name) {
  connection.requestName(ServiceName(std::move(name)));
}

// 1.2 needs a proxy's signal handlers sealed; 2.x registers each as it is added.
inline void finishRegistration([[maybe_unused]] sdbus::IProxy& proxy) {
#if JMEM_SDBUS_MAJOR < 2
  proxy.finishRegistration();
#endif
}

inline std::string currentSender(const sdbus::IObject& object) {
#if JMEM_SDBUS_MAJOR >= 2
  return object.getCurrentlyProcessedMessage().getSender();
#else
  return object.getCurrentlyProcessedMessage()->getSender();
#endif
}

inline void emitPropertiesChanged(sdbus::IObject& object, const char* interface,
                                  const std::vector<std::string>& properties) {
  object.emitPropertiesChangedSignal(interface,
                                     std::vector<PropertyName>(properties.begin(), properties.end()));
}

inline const sdbus::Variant* findProperty(const PropertyMap& properties, const std::string& name) {
  const auto found = properties.find(PropertyName(name));
  return found == properties.end() ? nullptr : &found->second;
}

// The connection's poll data in one shape. event_fd (2.x, -1 on 1.2) is readable when another thread
// queued a message; timeout_usec is the absolute CLOCK_MONOTONIC deadline, UINT64_MAX for none.
struct PollData {
  int fd;
  short events;
  uint64_t timeout_usec;
  int event_fd;
};

inline PollData pollData(const sdbus::IConnection& connection) {
  const auto data = connection.getEventLoopPollData();
#if JMEM_SDBUS_MAJOR >= 2
  const bool none = data.timeout == std::chrono::microseconds::max();
  return {data.fd, data.events, none ? UINT64_MAX : static_cast<uint64_t>(data.timeout.count()),
          data.eventFd};
#else
  return {data.fd, data.events, data.timeout_usec, -1};
#endif
}

// Processes one queued message (2.x also clears its event fd); false when none was waiting.
inline bool processPending(sdbus::IConnection& connection) {
#if JMEM_SDBUS_MAJOR >= 2
  return connection.processPendingEvent();
#else
  return connection.processPendingRequest();
#endif
}

}  // namespace jmem::sdbus_compat
