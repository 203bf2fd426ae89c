#include "ctl/monitor.h"

#include <iostream>

#include "core/clock.h"
#include "core/text.h"

namespace jmem::ctl {
namespace {

// A property as monitor names it; its figure's kind decides the step and the format.
enum class Kind { kBytes, kPermyriad, kCount, kText, kFlag, kList };
struct Wording {
  const char* property;
  const char* name;
  Kind kind;
};

constexpr Wording kWordings[] = {
    {"MemAvailableBytes", "memory available", Kind::kBytes},
    {"HeadroomBytes", "headroom", Kind::kBytes},
    {"PssTotalBytes", "PSS of all processes", Kind::kBytes},
    {"SwapFreeBytes", "swap free", Kind::kBytes},
    {"NvmapTotalBytes", "NvMap", Kind::kBytes},
    {"MemTotalBytes", "memory total", Kind::kBytes},
    {"SwapTotalBytes", "swap total", Kind::kBytes},
    {"PressureSomeAvg10Permyriad", "pressure some", Kind::kPermyriad},
    {"PressureFullAvg10Permyriad", "pressure full", Kind::kPermyriad},
    {"ProcessCount", "processes", Kind::kCount},
    {"NvmapAvailable", "NvMap readable", Kind::kFlag},
    {"PressureAvailable", "PSI available", Kind::kFlag},
    {"SampleState", "sampling", Kind::kText},
    {"SampleError", "sample error", Kind::kText},
    {"PolicyDriftItems", "items in drift", Kind::kCount},
    {"PolicyUnknownItems", "items unknown", Kind::kCount},
    {"PolicyRebootPending", "reboot pending for", Kind::kList},
    {"PolicyFiles", "policy files", Kind::kList},
    {"PolicyFingerprint", "policy fingerprint", Kind::kText},
};

const Wording* wordingOf(const std::string& property) {
  for (const Wording& w : kWordings) {
    if (property == w.property) return &w;
  }
  return nullptr;
}

std::uint64_t number(const PropertyValue& value) {
  if (const auto* u64 = std::get_if<std::uint64_t>(&value)) return *u64;
  if (const auto* u32 = std::get_if<std::uint32_t>(&value)) return *u32;
  return 0;
}

std::string text(const PropertyValue& value, Kind kind) {
  switch (kind) {
    case Kind::kBytes:
      return formatIec(number(value));
    case Kind::kPermyriad:
      return formatPermyriad(static_cast<std::uint32_t>(number(value)));
    case Kind::kCount:
      return std::to_string(number(value));
    case Kind::kFlag:
      return std::holds_alternative<bool>(value) && std::get<bool>(value) ? "yes" : "no";
    case Kind::kText:
      return std::holds_alternative<std::string>(value) ? terminalSafe(std::get<std::string>(value)) : "";
    case Kind::kList: {
      std::string joined;
      if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
        for (const auto& each : *list) joined += (joined.empty() ? "" : ", ") + terminalSafe(each);
      }
      return joined.empty() ? "nothing" : joined;
    }
  }
  return "";
}

bool moved(const PropertyValue& before, const PropertyValue& now, Kind kind) {
  const std::uint64_t a = number(before);
  const std::uint64_t b = number(now);
  const std::uint64_t distance = a > b ? a - b : b - a;
  if (kind == Kind::kBytes) return distance >= kMonitorBytesStep;
  if (kind == Kind::kPermyriad) return distance >= kMonitorPermyriadStep;
  return before != now;
}

std::string verdictEvent(const std::string& before, const std::string& now) {
  if (now == "drift") return "policy: drift found";
  if (before == "drift" && now == "compliant") return "policy: drift cleared, compliant";
  return "policy: " + terminalSafe(now);
}

}  // namespace

std::optional<std::string> EventWording::changed(const PropertyList& properties) {
  std::vector<std::string> parts;
  for (const auto& [property, value] : properties) {
    const auto last = shown_.find(property);
    if (property == "PolicyVerdict" || property == "Mode") {
      const std::string now = std::holds_alternative<std::string>(value) ? std::get<std::string>(value) : "";
      const std::string before = last != shown_.end() && std::holds_alternative<std::string>(last->second)
                                     ? std::get<std::string>(last->second)
                                     : "";
      shown_[property] = value;
      if (now == before) continue;
      parts.push_back(property == "Mode" ? "mode is now " + terminalSafe(now) + " (policy reloaded)"
                                         : verdictEvent(before, now));
      continue;
    }
    const Wording* wording = wordingOf(property);
    if (!wording) continue;  // PressureLevel: its own signal says it, with the figures
    if (last != shown_.end() && !moved(last->second, value, wording->kind)) continue;
    shown_[property] = value;
    parts.push_back(std::string(wording->name) + " " + text(value, wording->kind));
  }
  if (parts.empty()) return std::nullopt;
  std::string line;
  for (const auto& part : parts) line += (line.empty() ? "" : ", ") + part;
  return once(std::move(line));
}

std::optional<std::string> EventWording::once(std::string line) {
  if (line == last_line_) return std::nullopt;
  last_line_ = line;
  return line;
}

namespace {

PropertyList propertyList(const sdbus_compat::PropertyMap& changed) {
  PropertyList list;
  for (const auto& [name, value] : changed) {
    const std::string type = value.peekValueType();
    if (type == "t") list.emplace_back(name, value.get<std::uint64_t>());
    if (type == "u") list.emplace_back(name, value.get<std::uint32_t>());
    if (type == "b") list.emplace_back(name, value.get<bool>());
    if (type == "s") list.emplace_back(name, value.get<std::string>());
    if (type == "as") list.emplace_back(name, value.get<std::vector<std::string>>());
  }
  return list;
}

Json propertiesJson(const PropertyList& list) {
  Json values = Json::object();
  for (const auto& [name, value] : list) std::visit([&, n = name](const auto& v) { values[n] = v; }, value);
  return values;
}

}  // namespace

int monitor(GovernorClient& client, const CtlOptions& options, const Style& style) {
  EventWording wording;
  auto say = [&](const Json& event, const std::optional<std::string>& human, const char* colour = nullptr) {
    const std::uint64_t now = realtimeUsec();
    if (options.json) {
      Json stamped{{"time_usec", now}};
      stamped.update(event);
      std::cout << jsonText(stamped, true) << std::flush;
    } else if (human) {
      const std::string body = colour ? paint(style, colour, *human) : *human;
      std::cout << clockTime(now) << ' ' << body << '\n' << std::flush;
    }
  };
  // The state to start from: the whole of it, as status shows it.
  auto snapshot = [&] {
    const auto info = client.info();
    const auto system = client.system();
    if (options.json) {
      const auto throttle = client.throttleState();
      const auto room = client.headroom();
      say(Json{{"event", "snapshot"},
               {"status", renderStatusJson(info, system, &throttle, nullptr, room ? &*room : nullptr)}},
          std::nullopt);
    } else {
      std::cout << renderStatus(info, system, {}, realtimeUsec(), style) << std::endl;
    }
    wording = EventWording{};
  };
  MonitorHandlers handlers;
  handlers.properties_changed = [&](const sdbus_compat::PropertyMap& changed) {
    const PropertyList list = propertyList(changed);
    say(Json{{"event", "properties_changed"}, {"properties", propertiesJson(list)}}, wording.changed(list));
  };
  handlers.pressure_level_changed = [&](const std::string& level, std::uint32_t some, std::uint32_t full) {
    say(Json{{"event", "pressure_level_changed"},
             {"level", level},
             {"some_avg10_permyriad", some},
             {"full_avg10_permyriad", full}},
        wording.once("pressure " + terminalSafe(level) + ": some " + formatPermyriad(some) + ", full " +
                     formatPermyriad(full)),
        level == "none" ? "32" : "33");
  };
  handlers.action_taken = [&](const std::string& unit, const std::string& action, const std::string& reason) {
    const bool failed = reason.starts_with("FAILED") || action.find("fail") != std::string::npos;
    say(Json{{"event", "action_taken"}, {"unit", unit}, {"action", action}, {"reason", reason}},
        wording.once(terminalSafe(action) + " " + terminalSafe(unit) + ": " + terminalSafe(reason)),
        failed ? "31" : "1");
  };
  handlers.would_act = [&](const std::string& reason) {
    say(Json{{"event", "would_act"}, {"reason", reason}},
        wording.once("audit mode, not done: " + terminalSafe(reason)), "36");
  };
  handlers.governor_gone = [&] {
    say(Json{{"event", "governor_gone"}}, wording.once("jmemd left the bus; waiting for it"), "31");
  };
  handlers.governor_back = [&] {
    say(Json{{"event", "governor_back"}}, wording.once("jmemd is back"), "32");
    try {
      snapshot();
    } catch (const sdbus::Error&) {
      // Not answering yet: its announcements will follow.
    }
  };
  handlers.wait_for_return = true;
  snapshot();
  return client.watch(std::move(handlers));
}

}  // namespace jmem::ctl
