#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ctl/client.h"
#include "ctl/commands.h"
#include "ctl/options.h"

namespace jmem::ctl {

// A property's value as jmemd announced it.
using PropertyValue = std::variant<std::uint64_t, std::uint32_t, bool, std::string, std::vector<std::string>>;
using PropertyList = std::vector<std::pair<std::string, PropertyValue>>;

// How far a figure must move from the one last printed before monitor prints it again.
inline constexpr std::uint64_t kMonitorBytesStep = 16 * 1024 * 1024;
inline constexpr std::uint32_t kMonitorPermyriadStep = 100;  // one percentage point

// What `monitor` says of jmemd's announcements: names a person reads ("pressure some 12.30%"), a figure
// only once it moved by its step from the last one printed, events in words ("policy: drift found"),
// and no line twice in a row. Pure: the caller stamps the time and prints.
class EventWording {
 public:
  // The line for one announcement of changed properties; nullopt when nothing moved enough.
  std::optional<std::string> changed(const PropertyList& properties);
  // `text` unless it is the line said last.
  std::optional<std::string> once(std::string text);

 private:
  std::map<std::string, PropertyValue> shown_;
  std::string last_line_;
};

// `jmemctl monitor`: each event as a timestamped line (with --json, one document per line, the first
// a full status) until interrupted; it waits for a jmemd that restarts. Returns the exit code.
int monitor(GovernorClient& client, const CtlOptions& options, const Style& style);

}  // namespace jmem::ctl
