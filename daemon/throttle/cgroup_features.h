#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "throttle/controller.h"

namespace jmem::throttle {

// How this device can freeze a unit.
enum class FreezeMethod {
  kNone,
  kCgroupFreezer,  // systemd's FreezeUnit: cgroup v2's cgroup.freeze
  kStopSignal,     // cgroup v1 (JetPack 5): SIGSTOP to every process of the unit, SIGCONT to thaw
};

std::string_view toString(FreezeMethod method);
std::optional<FreezeMethod> parseFreezeMethod(std::string_view text);

// What the device's cgroup hierarchy lets the controller do, and why not where it cannot.
struct CgroupFeatures {
  std::string hierarchy;  // "unified" (cgroup v2), "hybrid" or "legacy" (cgroup v1 controllers)
  bool memory_high = false;
  std::string memory_high_note;  // why not, when memory_high is false
  FreezeMethod freeze = FreezeMethod::kNone;
  std::string freeze_note;  // how, or why not

  Capabilities capabilities() const { return {memory_high, freeze != FreezeMethod::kNone}; }
};

// Pure. `unified_controllers`: the text of cgroup.controllers at the root of the cgroup mount when
// that mount is cgroup v2, nullopt when it is not; `has_unified_mount`: a cgroup v2 mount beside v1
// (hybrid); `has_freeze_file`: a cgroup.freeze in a child cgroup of the v2 root.
CgroupFeatures cgroupFeaturesOf(const std::optional<std::string>& unified_controllers, bool has_unified_mount,
                                bool has_freeze_file);

// Pure. The major of a systemd version string ("245.4-4ubuntu3": 245), nullopt if it has none.
std::optional<unsigned> systemdMajor(std::string_view version);

// Pure. The controls as this systemd can drive them: FreezeUnit came with 246, so an older one (Ubuntu
// 20.04 has 245) freezes by stop signal even on cgroup v2. An unknown version changes nothing.
CgroupFeatures forSystemd(CgroupFeatures controls, std::optional<unsigned> systemd_major);

// Reads the hierarchy under `cgroup_root` (normally /sys/fs/cgroup).
CgroupFeatures readCgroupFeatures(const std::filesystem::path& cgroup_root);

}  // namespace jmem::throttle
