#include "cli/options.h"

#include <catch2/catch.hpp>

using namespace jmem;

TEST_CASE("jmemd options default to the real kernel roots", "[cli]") {
  auto options = parseDaemonOptions({});
  REQUIRE(options.ok());
  CHECK_FALSE(options->dump);
  CHECK(options->roots.proc == "/proc");
  CHECK(options->roots.debugfs == "/sys/kernel/debug");
  CHECK(options->log_level == "info");
}

TEST_CASE("jmemd options take roots as separate or inline values", "[cli]") {
  auto options =
      parseDaemonOptions({"--dump", "--proc-root", "/tmp/p", "--debugfs-root=/tmp/d", "--log-level=debug"});
  REQUIRE(options.ok());
  CHECK(options->dump);
  CHECK(options->roots.proc == "/tmp/p");
  CHECK(options->roots.debugfs == "/tmp/d");
  CHECK(options->log_level == "debug");
}

TEST_CASE("jmemd options reject what they do not know and name it", "[cli]") {
  auto unknown = parseDaemonOptions({"--dupm"});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message == "Unknown argument \"--dupm\"; see jmemd --help");

  auto missing = parseDaemonOptions({"--proc-root"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "Option --proc-root needs a value");

  auto level = parseDaemonOptions({"--log-level", "loud"});
  REQUIRE_FALSE(level.ok());
  CHECK(level.error().message.find("\"loud\"") != std::string::npos);

  CHECK_FALSE(parseDaemonOptions({"--dump=yes"}).ok());
  CHECK_FALSE(parseDaemonOptions({"--proc-root="}).ok());
}

TEST_CASE("jmemd options never echo a control character of an argument", "[cli]") {
  auto unknown = parseDaemonOptions({"--\x1b[2Jx"});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find('\x1b') == std::string::npos);
  auto interval = parseDaemonOptions({"--interval-ms", "5\x1b"});
  REQUIRE_FALSE(interval.ok());
  CHECK(interval.error().message.find('\x1b') == std::string::npos);
}

TEST_CASE("jmemd options keep an empty metrics directory and NVML library as off", "[cli]") {
  auto options = parseDaemonOptions({"--metrics-dir=", "--nvml-library", ""});
  REQUIRE(options.ok());
  CHECK(options->metrics_dir.empty());
  CHECK(options->nvml_library.empty());
  auto flag = parseDaemonOptions({"--check-config", "-h", "--json", "--version"});
  REQUIRE(flag.ok());
  CHECK((flag->check_config && flag->help && flag->json && flag->version));
}
