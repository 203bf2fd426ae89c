// Fuzzes the cgroup-to-unit mapping: systemdCgroupPath() over arbitrary /proc/PID/cgroup text, then
// placementFromCgroupPath() and isValidUnitName() over what it finds and over the raw input.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.h"
#include "sources/cgroup_unit.h"

namespace {

using jmem::fuzz::require;

// systemd's rules restated, to check isValidUnitName() against.
bool referenceValidUnitName(std::string_view name) {
  static constexpr std::string_view kAllowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.\\@-";
  static constexpr std::array<std::string_view, 11> kSuffixes{".service",   ".socket", ".device", ".mount",
                                                              ".automount", ".swap",   ".target", ".path",
                                                              ".timer",     ".slice",  ".scope"};
  if (name.empty() || name.size() > 255) return false;
  if (name.find_first_not_of(kAllowed) != std::string_view::npos) return false;
  if (name.front() == '@' || name.front() == '.') return false;
  for (const std::string_view suffix : kSuffixes) {
    if (name.ends_with(suffix)) return true;
  }
  return false;
}

void checkUnitName(std::string_view name) {
  require(jmem::isValidUnitName(name) == referenceValidUnitName(name));
}

void checkPlacement(std::string_view path, const jmem::UnitPlacement& placement) {
  require(jmem::isValidUnitName(placement.unit));
  require(jmem::isValidUnitName(placement.slice) && placement.slice.ends_with(".slice"));
  require(placement.manager == "system" ||
          (jmem::isValidUnitName(placement.manager) && placement.manager.starts_with("user@") &&
           placement.manager.ends_with(".service")));
  // Every name comes from the path, except the root slice that stands in for "no unit".
  require(placement.unit == "-.slice" || path.find(placement.unit) != std::string_view::npos);
  require(placement.slice == "-.slice" || path.find(placement.slice) != std::string_view::npos);
  require(placement.manager == "system" || path.find(placement.manager) != std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = jmem::fuzz::asText(data, size);
  if (const auto path = jmem::systemdCgroupPath(input)) {
    // A view into the input: a "<id>:name=systemd:" (v1) or "0::" (v2) line's path.
    require(!path->empty() && path->front() == '/' && path->find('\n') == std::string_view::npos);
    require(path->data() >= input.data() && path->data() + path->size() <= input.data() + input.size());
    const std::string_view before = input.substr(0, static_cast<std::size_t>(path->data() - input.data()));
    const auto line_start = before.rfind('\n');
    const std::string_view prefix =
        line_start == std::string_view::npos ? before : before.substr(line_start + 1);
    require(prefix == "0::" ||
            (prefix.ends_with(":name=systemd:") && prefix.find(':') + 14 == prefix.size()));
    require(path->data() + path->size() == input.data() + input.size() || path->data()[path->size()] == '\n');
    checkPlacement(*path, jmem::placementFromCgroupPath(*path));
  }
  checkPlacement(input, jmem::placementFromCgroupPath(input));
  checkUnitName(input);
  // Each path component on its own, the way placementFromCgroupPath() sees them.
  std::string_view rest = input;
  while (!rest.empty()) {
    const auto slash = rest.find_first_of("/\n");
    checkUnitName(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  }
  return 0;
}
