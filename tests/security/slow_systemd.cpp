// A stand-in for systemd's manager on a private bus that answers every call after a delay: what its
// clients see of a PID 1 busy with a slow boot or a hung job. It owns org.freedesktop.systemd1 and
// answers what jmemd's check asks (default target, unit file states, units and their properties)
// with a plausible idle device. Usage: slow_systemd DELAY_MS
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::uint64_t g_delay_usec = 1'000'000;
sd_event* g_event = nullptr;

int replyTo(sd_bus_message* call) {
  const std::string member = sd_bus_message_get_member(call) ? sd_bus_message_get_member(call) : "";
  if (member == "GetDefaultTarget") return sd_bus_reply_method_return(call, "s", "multi-user.target");
  if (member == "GetUnitFileState") return sd_bus_reply_method_return(call, "s", "disabled");
  if (member == "LoadUnit" || member == "GetUnit")
    return sd_bus_reply_method_return(call, "o", "/org/freedesktop/systemd1/unit/standin");
  if (member == "ListUnitFilesByPatterns") return sd_bus_reply_method_return(call, "a(ss)", 0);
  if (member == "GetAll") {
    return sd_bus_reply_method_return(call, "a{sv}", 5, "LoadState", "s", "loaded", "ActiveState", "s",
                                      "inactive", "SubState", "s", "dead", "UnitFileState", "s", "disabled",
                                      "NeedDaemonReload", "b", 0);
  }
  if (member == "Get") {
    const char* interface = nullptr;
    const char* property = nullptr;
    if (sd_bus_message_read(call, "ss", &interface, &property) < 0) property = "";
    const std::string name = property;
    if (name == "NeedDaemonReload") return sd_bus_reply_method_return(call, "v", "b", 0);
    if (name == "MemoryHigh") return sd_bus_reply_method_return(call, "v", "t", UINT64_MAX);
    const char* value = name == "ActiveState" ? "inactive" : name == "LoadState" ? "loaded" : "";
    return sd_bus_reply_method_return(call, "v", "s", value);
  }
  return sd_bus_reply_method_errorf(call, "org.freedesktop.DBus.Error.NotSupported", "%s is not stood in for",
                                    member.c_str());
}

int onDue(sd_event_source* source, uint64_t, void* userdata) {
  auto* call = static_cast<sd_bus_message*>(userdata);
  replyTo(call);
  sd_bus_message_unref(call);
  sd_event_source_unref(source);
  return 0;
}

int onMessage(sd_bus_message* message, void*, sd_bus_error*) {
  if (!sd_bus_message_is_method_call(message, nullptr, nullptr)) return 0;
  const char* destination = sd_bus_message_get_destination(message);
  if (!destination || std::strcmp(destination, "org.freedesktop.DBus") == 0) return 0;
  uint64_t now = 0;
  sd_event_now(g_event, CLOCK_MONOTONIC, &now);
  sd_event_source* source = nullptr;
  if (sd_event_add_time(g_event, &source, CLOCK_MONOTONIC, now + g_delay_usec, 0, onDue,
                        sd_bus_message_ref(message)) < 0) {
    return 0;
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: slow_systemd DELAY_MS\n");
    return 2;
  }
  g_delay_usec = std::strtoull(argv[1], nullptr, 10) * 1000;
  sd_bus* bus = nullptr;
  sd_bus_slot* filter = nullptr;
  if (sd_bus_open_system(&bus) < 0 || sd_event_default(&g_event) < 0 ||
      sd_bus_attach_event(bus, g_event, 0) < 0 || sd_bus_add_filter(bus, &filter, onMessage, nullptr) < 0 ||
      sd_bus_request_name(bus, "org.freedesktop.systemd1", 0) < 0) {
    std::fprintf(stderr, "slow_systemd: failed to serve org.freedesktop.systemd1\n");
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  return sd_event_loop(g_event) < 0 ? 1 : 0;
}
