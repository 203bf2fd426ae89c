#include "compliance/observer.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/file_reader.h"
#include "policy/unit_pattern.h"
#include "sources/boot_time.h"
#include "sources/extlinux.h"
#include "sources/kernel_cmdline.h"

namespace jmem::compliance {

void Observer::observeSystemUnit(const std::string& name, ObservedState& observed) {
  if (observed.system_units.count(name)) return;
  UnitObservation seen;
  // The unit file state from disk: the loaded unit's view is stale until a daemon-reload.
  if (auto file_state = systemd_.unitFileState(name); !file_state) {
    seen.file_error = file_state.error().message;
  } else if (*file_state != kUnitFileNotFound) {
    seen.found = true;
    seen.unit_file_state = *file_state;
  }
  if (auto state = systemd_.unitState(name); state) {
    seen.found = seen.found || (state->load_state != "not-found" && state->load_state != "masked");
    seen.active_state = state->active_state;
    seen.load_state = state->load_state;
  } else {
    seen.state_error = state.error().message;
  }
  observed.system_units[name] = seen;
}

void Observer::observeUserUnit(const std::string& name, ObservedState& observed) {
  if (observed.user_units.count(name)) return;
  UserUnitObservation seen;
  if (auto state = user_units_.state(name); state) {
    seen.found = state->unit_file_exists;
    seen.masked = state->masked();
  } else {
    seen.error = state.error().message;
  }
  observed.user_units[name] = seen;
}

Result<std::vector<std::string>> Observer::installedUserUnits() const {
  std::vector<std::string> names;
  for (const char* dir : GlobalUserUnits::kSearchPath) {
    const auto path = root_ / std::filesystem::path(dir).relative_path();
    std::error_code error;
    std::filesystem::directory_iterator entries(path, error);
    // A directory that is not there holds no units; one that cannot be read leaves them unknown.
    if (error == std::errc::no_such_file_or_directory || error == std::errc::not_a_directory) continue;
    if (error) return Error{"cannot read " + path.string() + ": " + error.message()};
    for (; entries != std::filesystem::directory_iterator(); entries.increment(error)) {
      names.push_back(entries->path().filename().string());
    }
    if (error) return Error{"cannot read " + path.string() + ": " + error.message()};
  }
  return names;
}

void Observer::observeWrittenThisBoot(const std::filesystem::path& extlinux, BootObservation& boot) const {
  auto boot_time = readBootTime(proc_root_);
  if (!boot_time) {
    boot.next_written_error = boot_time.error().message;
    return;
  }
  struct stat info {};
  if (::stat(extlinux.c_str(), &info) != 0) {
    boot.next_written_error = "cannot stat " + extlinux.string() + ": " + std::strerror(errno);
    return;
  }
  boot.next_written_this_boot = static_cast<std::uint64_t>(info.st_mtim.tv_sec) >= *boot_time;
}

void Observer::observeDesktop(CheckReport& report) {
  // A desktop's closure is some 150 units; a loop in the dependencies ends at the first unit seen twice.
  constexpr std::size_t kMaxUnits = 4096;
  const DependencyLookup lookup = [this](const std::string& name) { return systemd_.unitDependencies(name); };
  auto graphical = pulledInBy("graphical.target", lookup, kMaxUnits);
  auto multi_user = graphical ? pulledInBy("multi-user.target", lookup, kMaxUnits) : graphical;
  auto sessions = multi_user ? sessions_.list() : Result<std::vector<LoginSession>>(multi_user.error());
  if (!sessions) {
    report.desktop_error = sessions.error().message;
    return;
  }
  report.desktop = desktopUnits(*graphical, *multi_user, *sessions);
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
        } else {
          observed.unlisted_globs[pattern.pattern] = files.error().message;
        }
      } else if (auto names = installedUserUnits(); names) {
        for (const std::string& name : *names)
          if (policy::unitPatternMatches(pattern, name)) observeUserUnit(name, observed);
      } else {
        observed.unlisted_globs[pattern.pattern] = names.error().message;
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
    observeWrittenThisBoot(extlinux_path, observed.boot);
  } else {
    observed.boot.next_error = config.error().message;
  }
  return observed;
}

}  // namespace jmem::compliance
