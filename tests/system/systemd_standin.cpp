// A stand-in for systemd's manager on a private bus, scripted by a JSON file: it owns
// org.freedesktop.systemd1 and serves what jmemd's check reads (systemd_standin.xml: the default target,
// unit file states, units and their properties, unit files by pattern, the version), each answered as
// the script says or failed with the D-Bus error the script names. Every call is written to a log, one
// line each, so that a test can tell that jmemd asked. Prints "ready" once it serves the name.
//
//   systemd_standin SCRIPT CALL_LOG
//
// The script:
//   {"version": "252.standin",
//    "default_target": "multi-user.target" | {"error": NAME, "message": TEXT},
//    "units": {"gdm3.service": {"file_state": "masked" | {"error": ...},
//                               "load_state": "masked", "active_state": "inactive", "sub_state": "dead",
//                               "load": {"error": ...}   (optional: GetUnit and LoadUnit fail)}, ...},
//    "unit_files": [["/usr/lib/systemd/system/cups.service", "disabled"], ...] | {"error": ...}}
// A unit the script does not name has no unit file, as with systemd: GetUnitFileState fails with
// FileNotFound, GetUnit with NoSuchUnit, and LoadUnit gives a unit whose LoadState is not-found.
#include <fnmatch.h>
#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bus/sdbus_compat.h"
#include "generated/systemd_standin_adaptor.h"

using nlohmann::json;

namespace {

constexpr const char* kUnitPrefix = "/org/freedesktop/systemd1/unit/";

// The failure a script entry names, or nothing when the entry is an answer.
void failIfScripted(const json& entry) {
  if (entry.is_object() && entry.contains("error")) {
    throw jmem::sdbus_compat::makeError(entry.at("error").get<std::string>(),
                                        entry.value("message", std::string("failed by the stand-in")));
  }
}

// A unit's object path as systemd makes it (sd_bus_path_encode): every byte but [A-Za-z0-9], and a
// leading digit, as _xx.
std::string unitPath(const std::string& name) {
  static const char* const kHex = "0123456789abcdef";
  std::string path = kUnitPrefix;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (alpha || (digit && i > 0)) {
      path += static_cast<char>(c);
    } else {
      path += '_';
      path += kHex[c >> 4];
      path += kHex[c & 15];
    }
  }
  return name.empty() ? path + "_" : path;
}

class CallLog {
 public:
  explicit CallLog(const std::string& path) : out_(path, std::ios::app) {}
  void record(const std::string& line) { out_ << line << std::endl; }

 private:
  std::ofstream out_;
};

class UnitStandin final : public sdbus::AdaptorInterfaces<org::freedesktop::systemd1::Unit_adaptor> {
 public:
  UnitStandin(sdbus::IConnection& connection, const std::string& path, json script)
      : AdaptorInterfaces(connection, sdbus::ObjectPath(path)), script_(std::move(script)) {
    registerAdaptor();
  }
  ~UnitStandin() { unregisterAdaptor(); }

 private:
  std::string text(const char* key, const char* otherwise) const {
    const auto found = script_.find(key);
    return found != script_.end() && found->is_string() ? found->get<std::string>() : otherwise;
  }
  std::string LoadState() override { return text("load_state", "loaded"); }
  std::string ActiveState() override { return text("active_state", "inactive"); }
  std::string SubState() override { return text("sub_state", "dead"); }
  std::string UnitFileState() override { return text("file_state", ""); }
  bool NeedDaemonReload() override { return false; }

  json script_;
};

class ManagerStandin final : public sdbus::AdaptorInterfaces<org::freedesktop::systemd1::Manager_adaptor> {
 public:
  ManagerStandin(sdbus::IConnection& connection, json script, CallLog& log)
      : AdaptorInterfaces(connection, sdbus::ObjectPath("/org/freedesktop/systemd1")),
        script_(std::move(script)),
        log_(log) {
    for (const auto& [name, unit] : units().items())
      units_.push_back(std::make_unique<UnitStandin>(connection, unitPath(name), unit));
    units_.push_back(
        std::make_unique<UnitStandin>(connection, notFoundPath(), json{{"load_state", "not-found"}}));
    registerAdaptor();
  }
  ~ManagerStandin() { unregisterAdaptor(); }

 private:
  const json& units() const {
    static const json kNone = json::object();
    const auto found = script_.find("units");
    return found == script_.end() ? kNone : *found;
  }
  // Every unit without a file shares one object: jmemd reads its properties, never its path.
  static std::string notFoundPath() { return std::string(kUnitPrefix) + "not_2dfound"; }

  std::string GetDefaultTarget() override {
    log_.record("GetDefaultTarget");
    const json& target = script_.at("default_target");
    failIfScripted(target);
    return target.get<std::string>();
  }

  std::string GetUnitFileState(const std::string& file) override {
    log_.record("GetUnitFileState " + file);
    if (!units().contains(file)) {
      throw jmem::sdbus_compat::makeError("org.freedesktop.DBus.Error.FileNotFound",
                                          "No such file or directory");
    }
    const json& state = units().at(file).at("file_state");
    failIfScripted(state);
    return state.get<std::string>();
  }

  sdbus::ObjectPath GetUnit(const std::string& name) override {
    log_.record("GetUnit " + name);
    if (!units().contains(name)) {
      throw jmem::sdbus_compat::makeError("org.freedesktop.systemd1.NoSuchUnit",
                                          "Unit " + name + " not loaded.");
    }
    return loaded(name);
  }

  sdbus::ObjectPath LoadUnit(const std::string& name) override {
    log_.record("LoadUnit " + name);
    if (!units().contains(name)) return sdbus::ObjectPath(notFoundPath());
    return loaded(name);
  }

  sdbus::ObjectPath loaded(const std::string& name) {
    const json& unit = units().at(name);
    if (unit.contains("load")) failIfScripted(unit.at("load"));
    return sdbus::ObjectPath(unitPath(name));
  }

  std::vector<sdbus::Struct<std::string, std::string>> ListUnitFilesByPatterns(
      const std::vector<std::string>& states, const std::vector<std::string>& patterns) override {
    std::string line = "ListUnitFilesByPatterns";
    for (const auto& pattern : patterns) line += " " + pattern;
    log_.record(line);
    const json& files = script_.at("unit_files");
    failIfScripted(files);
    std::vector<sdbus::Struct<std::string, std::string>> listed;
    for (const json& file : files) {
      const auto path = file.at(0).get<std::string>();
      const auto state = file.at(1).get<std::string>();
      const auto name = path.substr(path.rfind('/') + 1);
      const bool state_matches =
          states.empty() || std::find(states.begin(), states.end(), state) != states.end();
      const bool name_matches =
          patterns.empty() || std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
            return fnmatch(p.c_str(), name.c_str(), FNM_NOESCAPE) == 0;
          });
      if (state_matches && name_matches) listed.emplace_back(path, state);
    }
    return listed;
  }

  std::string Version() override {
    log_.record("Version");
    return script_.value("version", std::string("252.standin"));
  }

  json script_;
  CallLog& log_;
  std::vector<std::unique_ptr<UnitStandin>> units_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: systemd_standin SCRIPT CALL_LOG\n";
    return 2;
  }
  try {
    std::ifstream in(argv[1]);
    const json script = json::parse(in);
    CallLog log(argv[2]);
    auto connection = sdbus::createSystemBusConnection();
    ManagerStandin manager(*connection, script, log);
    jmem::sdbus_compat::requestName(*connection, "org.freedesktop.systemd1");
    std::cout << "ready" << std::endl;
    connection->enterEventLoop();
  } catch (const std::exception& e) {
    std::cerr << "systemd_standin: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
