#include "sources/cgroup_unit.h"

#include <array>

#include "core/file_reader.h"
#include "core/text.h"

namespace jmem {
namespace {

constexpr std::array<std::string_view, 11> kUnitSuffixes{".service",   ".socket", ".device", ".mount",
                                                         ".automount", ".swap",   ".target", ".path",
                                                         ".timer",     ".slice",  ".scope"};

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// systemd prefixes cgroup names that would clash with kernel files with '_'.
std::string_view unescapeCgroupName(std::string_view name) {
  return !name.empty() && name.front() == '_' ? name.substr(1) : name;
}

bool isUserManager(std::string_view unit) {
  return unit.starts_with("user@") && endsWith(unit, ".service");
}

}  // namespace

std::string readOwnUnit(const std::filesystem::path& proc_root) {
  auto text = readKernelFile(proc_root / "self" / "cgroup", 64 * 1024);
  if (!text) return {};
  const auto path = systemdCgroupPath(*text);
  return path ? placementFromCgroupPath(*path).unit : std::string();
}

bool isValidUnitName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         c == ':' || c == '_' || c == '.' || c == '\\' || c == '@' || c == '-';
    if (!allowed) return false;
  }
  if (name.front() == '@' || name.front() == '.') return false;
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  for (const auto suffix : kUnitSuffixes) {
    if (name.substr(dot) == suffix) return true;
  }
  return false;
}

std::optional<std::string_view> systemdCgroupPath(std::string_view proc_pid_cgroup) {
  std::optional<std::string_view> unified;
  std::string_view line;
  while (nextLine(proc_pid_cgroup, line)) {
    const auto first = line.find(':');
    if (first == std::string_view::npos) continue;
    const auto second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string_view path = line.substr(second + 1);
    if (path.empty() || path.front() != '/') continue;
    if (controllers == "name=systemd") return path;
    if (controllers.empty() && line.substr(0, first) == "0") unified = path;
  }
  return unified;
}

UnitPlacement placementFromCgroupPath(std::string_view cgroup_path) {
  UnitPlacement placement{"-.slice", "-.slice", std::string(kSystemManager)};
  std::string user_manager;  // set once the path enters user@UID.service
  std::string_view rest = cgroup_path;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view raw = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (raw.empty()) continue;
    const std::string_view name = unescapeCgroupName(raw);
    if (!isValidUnitName(name)) break;
    if (!user_manager.empty()) placement.manager = user_manager;
    placement.unit = std::string(name);
    if (endsWith(name, ".slice")) {
      placement.slice = placement.unit;
      continue;
    }
    if (!user_manager.empty() || !isUserManager(name)) break;
    // Below user@UID.service the user manager's own tree of slices and units starts.
    user_manager = placement.unit;
  }
  return placement;
}

}  // namespace jmem
