// Drives SystemdManager and GlobalUserUnits from the command line for systemd_client_test.py, which runs
// it inside a container booted with real systemd. Prints one JSON document; on failure
// {"error": message, "errno": n} and exit status 1; 2 on invalid arguments.
#include <sdbus-c++/sdbus-c++.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "system/global_user_units.h"
#include "system/systemd_manager.h"

using jmem::Result;
using nlohmann::json;

namespace {

constexpr const char* kUsage =
    "usage: systemd_client_driver VERB [ARG...]\n"
    "  default-target | set-default-target TARGET | reload\n"
    "  unit-file-state UNIT | unit-state UNIT\n"
    "  mask UNIT... | unmask UNIT... | enable UNIT... | disable UNIT...\n"
    "  start UNIT [WAIT_MS] | stop UNIT [WAIT_MS]\n"
    "  list-unit-files STATES PATTERN...   (STATES: comma-separated, or - for all)\n"
    "  global-state UNIT | global-mask UNIT | global-unmask UNIT   (JMEM_ROOT selects the root, / by "
    "default)\n";

json changesJson(const jmem::UnitFileChanges& changes) {
  json list = json::array();
  for (const auto& change : changes) {
    list.push_back({{"type", change.type}, {"file", change.file}, {"destination", change.destination}});
  }
  return list;
}

json unitJson(const jmem::UnitState& state) {
  return {{"object_path", state.object_path},         {"load_state", state.load_state},
          {"active_state", state.active_state},       {"sub_state", state.sub_state},
          {"unit_file_state", state.unit_file_state}, {"need_daemon_reload", state.need_daemon_reload}};
}

template <typename T, typename F>
int print(const Result<T>& result, F&& render) {
  if (!result) {
    std::cout << json{{"error", result.error().message}, {"errno", result.error().errno_value}}.dump()
              << "\n";
    return 1;
  }
  std::cout << render(*result).dump() << "\n";
  return 0;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  if (text == "-") return parts;
  std::string::size_type start = 0;
  for (;;) {
    const auto comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

int global(const std::string& verb, const std::string& unit) {
  const char* root = std::getenv("JMEM_ROOT");
  const jmem::GlobalUserUnits units(root ? root : "/");
  if (verb == "global-state") {
    return print(units.state(unit), [](const jmem::GlobalUserUnitState& state) {
      return json{{"masked", state.masked()},
                  {"etc_entry", state.etc_entry == jmem::GlobalMaskEntry::kNone          ? "none"
                                : state.etc_entry == jmem::GlobalMaskEntry::kNullSymlink ? "null-symlink"
                                                                                         : "other"},
                  {"unit_file_exists", state.unit_file_exists},
                  {"unit_file", state.unit_file}};
    });
  }
  const auto changed = verb == "global-mask" ? units.maskGlobal(unit) : units.unmaskGlobal(unit);
  return print(changed, [](bool value) { return json{{"changed", value}}; });
}

int run(jmem::SystemdManager& manager, const std::string& verb, const std::vector<std::string>& args) {
  const auto changes = [](const jmem::UnitFileChanges& list) { return json{{"changes", changesJson(list)}}; };
  const auto job = [](const jmem::JobOutcome& outcome) {
    json out{{"job", outcome.job_path}, {"finished", outcome.finished}};
    if (outcome.unit) out["unit"] = unitJson(*outcome.unit);
    return out;
  };
  if (verb == "default-target" && args.empty()) {
    return print(manager.defaultTarget(), [](const std::string& target) {
      return json{{"default_target", target}};
    });
  }
  if (verb == "set-default-target" && args.size() == 1)
    return print(manager.setDefaultTarget(args[0]), changes);
  if (verb == "reload" && args.empty())
    return print(manager.reload(), [](jmem::Done) { return json::object(); });
  if (verb == "unit-file-state" && args.size() == 1) {
    return print(manager.unitFileState(args[0]), [](const std::string& state) {
      return json{{"unit_file_state", state}};
    });
  }
  if (verb == "unit-state" && args.size() == 1) return print(manager.unitState(args[0]), unitJson);
  if (verb == "mask" && !args.empty()) return print(manager.maskUnitFiles(args), changes);
  if (verb == "unmask" && !args.empty()) return print(manager.unmaskUnitFiles(args), changes);
  if (verb == "disable" && !args.empty()) return print(manager.disableUnitFiles(args), changes);
  if (verb == "enable" && !args.empty()) {
    return print(manager.enableUnitFiles(args), [](const jmem::EnableResult& result) {
      return json{{"carries_install_info", result.carries_install_info},
                  {"changes", changesJson(result.changes)}};
    });
  }
  if ((verb == "start" || verb == "stop") && (args.size() == 1 || args.size() == 2)) {
    std::optional<std::chrono::milliseconds> wait;
    if (args.size() == 2) wait = std::chrono::milliseconds(std::stoll(args[1]));
    return print(verb == "start" ? manager.startUnit(args[0], wait) : manager.stopUnit(args[0], wait), job);
  }
  if (verb == "list-unit-files" && args.size() >= 1) {
    const std::vector<std::string> patterns(args.begin() + 1, args.end());
    return print(manager.listUnitFilesByPatterns(split(args[0]), patterns),
                 [](const std::vector<jmem::UnitFileEntry>& entries) {
                   json list = json::array();
                   for (const auto& entry : entries) {
                     list.push_back({{"name", entry.name}, {"path", entry.path}, {"state", entry.state}});
                   }
                   return json{{"unit_files", list}};
                 });
  }
  std::cerr << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string verb = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (verb.rfind("global-", 0) == 0) {
    if (args.size() != 1) {
      std::cerr << kUsage;
      return 2;
    }
    return global(verb, args[0]);
  }
  try {
    auto connection = sdbus::createSystemBusConnection();
    jmem::SystemdManager manager(*connection);
    return run(manager, verb, args);
  } catch (const sdbus::Error& e) {
    std::cout
        << json{{"error", "Failed to connect to the system bus: " + e.getMessage()}, {"errno", 0}}.dump()
        << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n" << kUsage;
    return 2;
  }
}
