#include "compliance/observer.h"

#include <spdlog/spdlog.h>

#include <system_error>

#include "core/file_reader.h"
#include "policy/unit_pattern.h"
#include "sources/extlinux.h"
#include "sources/kernel_cmdline.h"

namespace jmem::compliance {

void Observer::observeSystemUnit(const std::string& name, ObservedState& observed) {
  if (observed.system_units.count(name)) return;
  UnitObservation seen;
  // The unit file state from disk: the loaded unit's view is stale until a daemon-reload.
  if (auto file_state = systemd_.unitFileState(name); file_state && *file_state != kUnitFileNotFound) {
    seen.found = true;
    seen.unit_file_state = *file_state;
  }
  if (auto state = systemd_.unitState(name); state) {
    seen.found = seen.found || (state->load_state != "not-found" && state->load_state != "masked");
    seen.active_state = state->active_state;
    seen.load_state = state->load_state;
  } else {
    spdlog::debug("{}", state.error().message);
  }
  observed.system_units[name] = seen;
}

void Observer::observeUserUnit(const std::string& name, ObservedState& observed) {
  if (observed.user_units.count(name)) return;
  UserUnitObservation seen;
  if (auto state = user_units_.state(name); state) {
    seen.found = state->unit_file_exists;
    seen.masked = state->masked();
  }
  observed.user_units[name] = seen;
}

std::vector<std::string> Observer::installedUserUnits() const {
  std::vector<std::string> names;
  for (const char* dir : GlobalUserUnits::kSearchPath) {
    std::error_code error;
    for (const auto& entry :
         std::filesystem::directory_iterator(root_ / std::filesystem::path(dir).relative_path(), error)) {
      names.push_back(entry.path().filename().string());
    }
  }
  return names;
}

ObservedState Observer::observe(const policy::Policy& policy) {
  ObservedState observed;
  if (policy.default_target) {
    if (auto target = systemd_.defaultTarget(); target) {
      observed.default_target = *target;
    } else {
      observed.default_target_error = target.error().message;
    }
  }
  for (const policy::UnitClass& c : policy.classes) {
    const bool system = c.scope.value == policy::UnitScope::kSystem;
    for (const policy::UnitPattern& pattern : c.units) {
      if (!pattern.is_glob) {
        system ? observeSystemUnit(pattern.pattern, observed) : observeUserUnit(pattern.pattern, observed);
      } else if (system) {
        if (auto files = systemd_.listUnitFilesByPatterns({}, {pattern.pattern}); files) {
          for (const UnitFileEntry& file : *files) observeSystemUnit(file.name, observed);
        }
      } else {
        for (const std::string& name : installedUserUnits())
          if (policy::unitPatternMatches(pattern, name)) observeUserUnit(name, observed);
      }
    }
  }
  auto cmdline = readWholeFile(proc_root_ / "cmdline", kMaxKernelCmdlineBytes);
  if (cmdline) {
    observed.boot.cmdline = *cmdline;
  } else {
    observed.boot.cmdline_error = cmdline.error().message;
  }
  const auto extlinux_path = root_ / std::filesystem::path(policy.boot.extlinux.value).relative_path();
  if (auto config = readExtlinux(extlinux_path); config) {
    const ExtlinuxEntry* entry = config->defaultEntry();
    observed.boot.next_append = entry->append ? entry->append->text : std::string();
  } else {
    observed.boot.next_error = config.error().message;
  }
  return observed;
}

}  // namespace jmem::compliance
