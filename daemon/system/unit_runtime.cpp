#include "system/unit_runtime.h"

#include <sdbus-c++/sdbus-c++.h>

#include <csignal>
#include <cstring>
#include <limits>
#include <vector>

#include "system/systemd_call.h"

namespace jmem {

using namespace systemd_call;

namespace {

// glibc 2.31, the oldest target's, has no sigabbrev_np.
std::string signalName(int signal) {
  switch (signal) {
    case SIGSTOP:
      return "SIGSTOP";
    case SIGCONT:
      return "SIGCONT";
    default:
      return "signal " + std::to_string(signal);
  }
}

constexpr std::uint64_t kInfinity = std::numeric_limits<std::uint64_t>::max();

// MemoryHigh lives on the interface of the unit's type: org.freedesktop.systemd1.Service, .Scope, ...
std::string typeInterface(const std::string& unit) {
  const auto dot = unit.rfind('.');
  std::string type = dot == std::string::npos ? std::string() : unit.substr(dot + 1);
  if (!type.empty()) type[0] = static_cast<char>(type[0] - 'a' + 'A');
  return "org.freedesktop.systemd1." + type;
}

}  // namespace

Result<std::string> UnitRuntime::unitPath(const std::string& unit) {
  return guarded("find " + unit, [&] {
    sdbus::ObjectPath path;
    managerProxy(*connection_)
        ->callMethod("GetUnit")
        .onInterface(kManagerInterface)
        .withTimeout(call_timeout_)
        .withArguments(unit)
        .storeResultsTo(path);
    return std::string(path);
  });
}

Result<sdbus::Variant> UnitRuntime::property(const std::string& unit, const std::string& interface,
                                             const std::string& name) {
  auto path = unitPath(unit);
  if (!path) return path.error();
  return guarded("read " + name + " of " + unit, [&] {
    sdbus::Variant value;
    sdbus_compat::createProxy(*connection_, kService, *path)
        ->callMethod("Get")
        .onInterface(kPropertiesInterface)
        .withTimeout(call_timeout_)
        .withArguments(interface, name)
        .storeResultsTo(value);
    return value;
  });
}

Result<std::optional<std::uint64_t>> UnitRuntime::memoryHigh(const std::string& unit) {
  auto value = property(unit, typeInterface(unit), "MemoryHigh");
  if (!value) return value.error();
  // A reply of another type throws here: guarded makes it an error, not an exception in the loop.
  auto bytes = guarded("read MemoryHigh of " + unit, [&] { return value->get<std::uint64_t>(); });
  if (!bytes) return bytes.error();
  return *bytes == kInfinity ? std::optional<std::uint64_t>() : std::optional<std::uint64_t>(*bytes);
}

Status UnitRuntime::setMemoryHigh(const std::string& unit, std::optional<std::uint64_t> bytes) {
  return guarded("set MemoryHigh of " + unit, [&] {
    std::vector<sdbus::Struct<std::string, sdbus::Variant>> properties;
    properties.emplace_back(std::string("MemoryHigh"), sdbus::Variant(bytes.value_or(kInfinity)));
    managerProxy(*connection_)
        ->callMethod("SetUnitProperties")
        .onInterface(kManagerInterface)
        .withTimeout(call_timeout_)
        .withArguments(unit, true, properties)
        .storeResultsTo();
    return Done{};
  });
}

Status UnitRuntime::freeze(const std::string& unit) {
  return guarded("freeze " + unit, [&] {
    managerProxy(*connection_)
        ->callMethod("FreezeUnit")
        .onInterface(kManagerInterface)
        .withTimeout(call_timeout_)
        .withArguments(unit)
        .storeResultsTo();
    return Done{};
  });
}

Status UnitRuntime::thaw(const std::string& unit) {
  return guarded("thaw " + unit, [&] {
    managerProxy(*connection_)
        ->callMethod("ThawUnit")
        .onInterface(kManagerInterface)
        .withTimeout(call_timeout_)
        .withArguments(unit)
        .storeResultsTo();
    return Done{};
  });
}

Result<std::string> UnitRuntime::freezerState(const std::string& unit) {
  auto value = property(unit, kUnitInterface, "FreezerState");
  if (!value) return value.error();
  return guarded("read FreezerState of " + unit, [&] { return value->get<std::string>(); });
}

Status UnitRuntime::signalAll(const std::string& unit, int signal) {
  return guarded("send " + signalName(signal) + " to " + unit, [&] {
    managerProxy(*connection_)
        ->callMethod("KillUnit")
        .onInterface(kManagerInterface)
        .withTimeout(call_timeout_)
        .withArguments(unit, std::string("all"), static_cast<std::int32_t>(signal))
        .storeResultsTo();
    return Done{};
  });
}

Result<std::string> UnitRuntime::activeState(const std::string& unit) {
  auto value = property(unit, kUnitInterface, "ActiveState");
  if (!value) return value.error();
  return guarded("read ActiveState of " + unit, [&] { return value->get<std::string>(); });
}

}  // namespace jmem
