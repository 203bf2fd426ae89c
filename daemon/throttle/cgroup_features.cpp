#include "throttle/cgroup_features.h"

#include <sys/statfs.h>

#include <sstream>

#include "core/file_reader.h"
#include "core/text.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

namespace jmem::throttle {
namespace {

bool listsController(std::string_view controllers, std::string_view wanted) {
  std::istringstream words{std::string(controllers)};
  std::string word;
  while (words >> word) {
    if (word == wanted) return true;
  }
  return false;
}

bool isCgroup2(const std::filesystem::path& path) {
  struct statfs info {};
  return ::statfs(path.c_str(), &info) == 0 && info.f_type == CGROUP2_SUPER_MAGIC;
}

}  // namespace

std::string_view toString(FreezeMethod method) {
  switch (method) {
    case FreezeMethod::kNone:
      return "none";
    case FreezeMethod::kCgroupFreezer:
      return "cgroup-freezer";
    case FreezeMethod::kStopSignal:
      return "stop-signal";
  }
  return "none";
}

std::optional<FreezeMethod> parseFreezeMethod(std::string_view text) {
  for (auto method : {FreezeMethod::kNone, FreezeMethod::kCgroupFreezer, FreezeMethod::kStopSignal}) {
    if (toString(method) == text) return method;
  }
  return std::nullopt;
}

CgroupFeatures cgroupFeaturesOf(const std::optional<std::string>& unified_controllers, bool has_unified_mount,
                                bool has_freeze_file) {
  CgroupFeatures controls;
  if (!unified_controllers) {
    controls.hierarchy = has_unified_mount ? "hybrid" : "legacy";
    controls.memory_high_note =
        "cgroup v1 has no memory.high (its memory.limit_in_bytes would make the kernel kill, not slow)";
    controls.freeze = FreezeMethod::kStopSignal;
    controls.freeze_note =
        "systemd cannot freeze units on cgroup v1: freezing sends SIGSTOP to each of the unit's processes "
        "and thawing SIGCONT";
    return controls;
  }
  controls.hierarchy = "unified";
  controls.memory_high = listsController(*unified_controllers, "memory");
  if (!controls.memory_high) controls.memory_high_note = "the memory controller is not enabled in cgroup v2";
  if (has_freeze_file) {
    controls.freeze = FreezeMethod::kCgroupFreezer;
    controls.freeze_note = "systemd's FreezeUnit (cgroup.freeze)";
  } else {
    controls.freeze = FreezeMethod::kStopSignal;
    controls.freeze_note = "this kernel has no cgroup.freeze (before 5.2): freezing sends SIGSTOP";
  }
  return controls;
}

std::optional<unsigned> systemdMajor(std::string_view version) {
  const auto digits = version.find_first_not_of("0123456789");
  const auto major = parseUnsigned(version.substr(0, digits));
  if (!major || *major > 100000) return std::nullopt;
  return static_cast<unsigned>(*major);
}

CgroupFeatures forSystemd(CgroupFeatures controls, std::optional<unsigned> systemd_major) {
  constexpr unsigned kFirstWithFreezeUnit = 246;
  if (controls.freeze != FreezeMethod::kCgroupFreezer || !systemd_major ||
      *systemd_major >= kFirstWithFreezeUnit)
    return controls;
  controls.freeze = FreezeMethod::kStopSignal;
  controls.freeze_note = "systemd " + std::to_string(*systemd_major) +
                         " has no FreezeUnit (246 brought it): freezing sends SIGSTOP to each of the unit's "
                         "processes and thawing SIGCONT";
  return controls;
}

CgroupFeatures readCgroupFeatures(const std::filesystem::path& cgroup_root) {
  std::optional<std::string> controllers;
  if (isCgroup2(cgroup_root)) {
    auto text = readWholeFile(cgroup_root / "cgroup.controllers", 4096);
    controllers = text ? *text : std::string();
  }
  std::error_code error;
  const bool has_freeze = std::filesystem::exists(cgroup_root / "init.scope" / "cgroup.freeze", error) ||
                          std::filesystem::exists(cgroup_root / "system.slice" / "cgroup.freeze", error);
  return cgroupFeaturesOf(controllers, isCgroup2(cgroup_root / "unified"), controllers && has_freeze);
}

}  // namespace jmem::throttle
