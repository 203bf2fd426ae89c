#include "system/systemd_manager.h"

#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

#include "core/text.h"
#include "system/systemd_call.h"

namespace jmem {

using namespace systemd_call;

namespace {

using ChangeTuple = sdbus::Struct<std::string, std::string, std::string>;

UnitFileChanges toChanges(const std::vector<ChangeTuple>& tuples) {
  UnitFileChanges changes;
  changes.reserve(tuples.size());
  for (const auto& tuple : tuples) {
    changes.push_back({std::get<0>(tuple), std::get<1>(tuple), std::get<2>(tuple)});
  }
  return changes;
}

}  // namespace

Result<std::string> SystemdManager::version() {
  return guarded("get systemd's version", [&] {
    sdbus::Variant value;
    managerProxy(*connection_)
        ->callMethod("Get")
        .onInterface(kPropertiesInterface)
        .withTimeout(options_.call_timeout)
        .withArguments(std::string(kManagerInterface), std::string("Version"))
        .storeResultsTo(value);
    return value.get<std::string>();
  });
}

Result<std::string> SystemdManager::defaultTarget() {
  return guarded("get the default target", [&] {
    std::string target;
    managerProxy(*connection_)
        ->callMethod("GetDefaultTarget")
        .onInterface(kManagerInterface)
        .withTimeout(options_.call_timeout)
        .storeResultsTo(target);
    return target;
  });
}

Result<UnitFileChanges> SystemdManager::setDefaultTarget(const std::string& target) {
  return guarded("set the default target to " + target, [&] {
    std::vector<ChangeTuple> changes;
    managerProxy(*connection_)
        ->callMethod("SetDefaultTarget")
        .onInterface(kManagerInterface)
        .withTimeout(options_.call_timeout)
        .withArguments(target, true)
        .storeResultsTo(changes);
    return toChanges(changes);
  });
}

Result<std::string> SystemdManager::unitFileState(const std::string& name) {
  try {
    std::string state;
    managerProxy(*connection_)
        ->callMethod("GetUnitFileState")
        .onInterface(kManagerInterface)
        .withTimeout(options_.call_timeout)
        .withArguments(name)
        .storeResultsTo(state);
    return state;
  } catch (const sdbus::Error& e) {
    if (isNotFound(e)) return std::string(kUnitFileNotFound);
    return busError("get the unit file state of " + name, e);
  }
}

SystemdManager::LoadedUnit SystemdManager::loadUnit(const std::string& name) {
  LoadedUnit unit;
  managerProxy(*connection_)
      ->callMethod("LoadUnit")
      .onInterface(kManagerInterface)
      .withTimeout(options_.call_timeout)
      .withArguments(name)
      .storeResultsTo(unit.path);
  sdbus_compat::createProxy(*connection_, kService, unit.path)
      ->callMethod("GetAll")
      .onInterface(kPropertiesInterface)
      .withTimeout(options_.call_timeout)
      .withArguments(std::string(kUnitInterface))
      .storeResultsTo(unit.properties);
  return unit;
}

Result<UnitState> SystemdManager::unitState(const std::string& name) {
  return guarded("get the state of " + name, [&] {
    const LoadedUnit unit = loadUnit(name);
    const auto text = [&](const char* key) {
      const auto it = unit.properties.find(key);
      return it == unit.properties.end() ? std::string() : it->second.get<std::string>();
    };
    UnitState state;
    state.object_path = unit.path;
    state.load_state = text("LoadState");
    state.active_state = text("ActiveState");
    state.sub_state = text("SubState");
    state.unit_file_state = text("UnitFileState");
    const auto reload = unit.properties.find("NeedDaemonReload");
    state.need_daemon_reload = reload != unit.properties.end() && reload->second.get<bool>();
    return state;
  });
}

Result<UnitDependencies> SystemdManager::unitDependencies(const std::string& name) {
  return guarded("get the dependencies of " + name, [&] {
    const LoadedUnit loaded = loadUnit(name);
    UnitDependencies unit;
    if (const auto id = loaded.properties.find("Id"); id != loaded.properties.end())
      unit.id = id->second.get<std::string>();
    if (unit.id.empty()) unit.id = name;
    // Upholds= came with systemd 249; JetPack 5's 245 has no such property.
    for (const char* key : {"Wants", "Requires", "BindsTo", "Upholds"}) {
      const auto it = loaded.properties.find(key);
      if (it == loaded.properties.end()) continue;
      for (auto& pulled : it->second.get<std::vector<std::string>>()) unit.pulls.push_back(std::move(pulled));
    }
    return unit;
  });
}

Result<UnitFileChanges> SystemdManager::maskUnitFiles(const std::vector<std::string>& names) {
  return guarded("mask " + join(names, ", "), [&] {
    std::vector<ChangeTuple> changes;
    managerProxy(*connection_)
        ->callMethod("MaskUnitFiles")
        .onInterface(kManagerInterface)
        .withTimeout(options_.call_timeout)
        .withArguments(names, false, true)
        .storeResultsTo(changes);
    return toChanges(changes);
  });
}

Result<UnitFileChanges> SystemdManager::unmaskUnitFiles(const std::vector<std::string>& names) {
  return guarded("unmask " + join(names, ", "), [&] {
    std::vector<ChangeTuple> changes;
    managerProxy(*connection_)
        ->callMethod("UnmaskUnitFiles")
        .onInterface(kManagerInterface)
        .withTimeout(options_.call_timeout)
        .withArguments(names, false)
        .storeResultsTo(changes);
    return toChanges(changes);
  });
}

Result<EnableResult> SystemdManager::enableUnitFiles(const std::vector<std::string>& names) {
  return guarded("enable " + join(names, ", "), [&] {
    bool carries_install_info = false;
    std::vector<ChangeTuple> changes;
    managerProxy(*connection_)
        ->callMethod("EnableUnitFiles")
        .onInterface(kManagerInterface)
        .withTimeout(options_.call_timeout)
        .withArguments(names, false, true)
        .storeResultsTo(carries_install_info, changes);
    return EnableResult{carries_install_info, toChanges(changes)};
  });
}

Result<UnitFileChanges> SystemdManager::disableUnitFiles(const std::vector<std::string>& names) {
  return guarded("disable " + join(names, ", "), [&] {
    std::vector<ChangeTuple> changes;
    managerProxy(*connection_)
        ->callMethod("DisableUnitFiles")
        .onInterface(kManagerInterface)
        .withTimeout(options_.call_timeout)
        .withArguments(names, false)
        .storeResultsTo(changes);
    return toChanges(changes);
  });
}

Result<std::vector<UnitFileEntry>> SystemdManager::listUnitFilesByPatterns(
    const std::vector<std::string>& states, const std::vector<std::string>& patterns) {
  return guarded("list unit files matching " + join(patterns, ", "), [&] {
    std::vector<sdbus::Struct<std::string, std::string>> files;
    managerProxy(*connection_)
        ->callMethod("ListUnitFilesByPatterns")
        .onInterface(kManagerInterface)
        .withTimeout(options_.call_timeout)
        .withArguments(states, patterns)
        .storeResultsTo(files);
    std::vector<UnitFileEntry> entries;
    entries.reserve(files.size());
    for (const auto& file : files) {
      const std::string& path = std::get<0>(file);
      const auto slash = path.rfind('/');
      entries.push_back(
          {path, slash == std::string::npos ? path : path.substr(slash + 1), std::get<1>(file)});
    }
    std::sort(entries.begin(), entries.end(),
              [](const UnitFileEntry& a, const UnitFileEntry& b) { return a.name < b.name; });
    return entries;
  });
}

Result<JobOutcome> SystemdManager::startUnit(const std::string& name,
                                             std::optional<std::chrono::milliseconds> wait,
                                             const std::string& mode) {
  return queueJob("StartUnit", "start", name, wait, mode);
}

Result<JobOutcome> SystemdManager::stopUnit(const std::string& name,
                                            std::optional<std::chrono::milliseconds> wait,
                                            const std::string& mode) {
  return queueJob("StopUnit", "stop", name, wait, mode);
}

Result<JobOutcome> SystemdManager::queueJob(const char* method, const char* verb, const std::string& name,
                                            std::optional<std::chrono::milliseconds> wait,
                                            const std::string& mode) {
  const std::string what = std::string(verb) + " " + name;
  auto queued = guarded(what, [&] {
    sdbus::ObjectPath job;
    managerProxy(*connection_)
        ->callMethod(method)
        .onInterface(kManagerInterface)
        .withTimeout(options_.call_timeout)
        .withArguments(name, mode)
        .storeResultsTo(job);
    return std::string(job);
  });
  if (!queued) return queued.error();
  JobOutcome outcome{std::move(*queued), false, std::nullopt};
  if (!wait) return outcome;

  // The job object exists while the job is queued or running. Polling it keeps this synchronous on a
  // connection that the caller's event loop drives: waiting for JobRemoved would mean dispatching that
  // loop's other messages from inside this call.
  const auto deadline = std::chrono::steady_clock::now() + *wait;
  auto interval = std::chrono::milliseconds(5);
  for (;;) {
    auto exists = jobExists(outcome.job_path);
    if (!exists)
      return Error{"Failed to " + what + ": " + exists.error().message, exists.error().errno_value};
    if (!*exists) break;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return Error{"Failed to " + what + ": job " + outcome.job_path + " did not finish within " +
                       std::to_string(wait->count()) + " ms",
                   ETIMEDOUT};
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(interval, deadline - now));
    interval = std::min(interval * 2, std::chrono::milliseconds(100));
  }
  outcome.finished = true;
  auto state = unitState(name);
  if (!state) return state.error();
  outcome.unit = std::move(*state);
  return outcome;
}

Result<bool> SystemdManager::jobExists(const std::string& job_path) {
  try {
    sdbus::Variant state;
    sdbus_compat::createProxy(*connection_, kService, job_path)
        ->callMethod("Get")
        .onInterface(kPropertiesInterface)
        .withTimeout(options_.call_timeout)
        .withArguments(std::string(kJobInterface), std::string("State"))
        .storeResultsTo(state);
    return true;
  } catch (const sdbus::Error& e) {
    if (e.getName() == "org.freedesktop.DBus.Error.UnknownObject" ||
        e.getName() == "org.freedesktop.systemd1.NoSuchJob") {
      return false;
    }
    return busError("read job " + job_path, e);
  }
}

Status SystemdManager::reload() {
  return guarded("reload the systemd manager", [&] {
    managerProxy(*connection_)
        ->callMethod("Reload")
        .onInterface(kManagerInterface)
        .withTimeout(options_.reload_timeout)
        .storeResultsTo();
    return Done{};
  });
}

}  // namespace jmem
