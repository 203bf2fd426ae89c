#include "ctl/options.h"

#include <catch2/catch.hpp>

#include "ctl/verbs.h"

using namespace jmem;
using namespace jmem::ctl;

TEST_CASE("jmemctl with no command shows the status", "[ctl]") {
  const auto options = parseCtlOptions({});
  REQUIRE(options.ok());
  CHECK(options->verb == Verb::kStatus);
  CHECK_FALSE(options->json);
}

TEST_CASE("jmemctl top takes --units, --lines, --sort, --full, -b and -n as top -b does", "[ctl]") {
  const auto options = parseCtlOptions({"top", "--units", "--lines", "5", "--sort", "nvmap", "--json",
                                        "--no-legend", "--full", "-b", "-n", "3"});
  REQUIRE(options.ok());
  CHECK(options->verb == Verb::kTop);
  CHECK(options->units);
  CHECK(options->limit == 5);
  CHECK(options->limit_given);
  CHECK(options->sort == SortKey::kNvmap);
  CHECK(options->json);
  CHECK(options->no_legend);
  CHECK(options->full);
  CHECK(options->batch);
  CHECK(options->iterations == 3u);

  const auto plain = parseCtlOptions({"top"});
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->limit_given);
  CHECK_FALSE(plain->iterations);
  CHECK(parseCtlOptions({"top", "--sort", "name"})->sort == SortKey::kName);
}

TEST_CASE("jmemctl names what it does not understand", "[ctl]") {
  CHECK(parseCtlOptions({"stauts"}).error().message == "Unknown command \"stauts\"; see jmemctl --help");
  CHECK(parseCtlOptions({"top", "--sort", "size"}).error().message.find("\"size\"") != std::string::npos);
  CHECK(parseCtlOptions({"top", "-n", "lots"}).error().message.find("\"lots\"") != std::string::npos);
  CHECK(parseCtlOptions({"top", "-n"}).error().message == "Option -n needs a value");
  CHECK_FALSE(parseCtlOptions({"top", "--lines", "70000"}).ok());
  CHECK(parseCtlOptions({"status", "--full"}).error().message ==
        "--units, --sort, --full, -b and -n belong to the top command");
  CHECK(parseCtlOptions({"status", "--lines", "5"}).error().message ==
        "--lines belongs to the top and log commands");
  CHECK_FALSE(parseCtlOptions({"status", "--units"}).ok());
  CHECK_FALSE(parseCtlOptions({"status", "top"}).ok());
}

TEST_CASE("jmemctl log takes a time, a unit and a count of lines, and refuses them elsewhere", "[ctl]") {
  const auto options = parseCtlOptions({"log", "--since=-2h", "--unit", "batch.service", "--lines", "5"});
  REQUIRE(options.ok());
  CHECK(options->verb == Verb::kLog);
  CHECK(options->since_usec > 0);
  CHECK(options->log_unit == "batch.service");
  CHECK(options->limit == 5);
  CHECK(parseCtlOptions({"log", "--since", "soon"}).error().message.find("\"soon\"") != std::string::npos);
  CHECK(parseCtlOptions({"log", "--unit", "../x"}).error().message == "Invalid unit name \"../x\"");
  CHECK(parseCtlOptions({"status", "--since", "today"}).error().message ==
        "--since and --unit belong to the log command");
  CHECK_FALSE(parseCtlOptions({"log", "batch.service"}).ok());
}

TEST_CASE("jmemctl validate takes main files, drop-ins after --drop-in, and --base or --builtin-base",
          "[ctl]") {
  const auto options = parseCtlOptions(
      {"validate", "policy.toml", "--base", "site.toml", "--drop-in", "50-a.toml", "60-b.toml"});
  REQUIRE(options.ok());
  CHECK(options->verb == Verb::kValidate);
  CHECK(options->files == std::vector<std::string>{"policy.toml"});
  CHECK(options->dropins == std::vector<std::string>{"50-a.toml", "60-b.toml"});
  CHECK(options->base == "site.toml");
  CHECK_FALSE(options->builtin_base);

  const auto builtin = parseCtlOptions({"validate", "--builtin-base", "--drop-in", "50-a.toml"});
  REQUIRE(builtin.ok());
  CHECK(builtin->builtin_base);
  CHECK(builtin->files.empty());
  CHECK(builtin->dropins == std::vector<std::string>{"50-a.toml"});
}

TEST_CASE("jmemctl refuses validate's options without validate, both bases at once, and --drop-in alone",
          "[ctl]") {
  CHECK(parseCtlOptions({"status", "--base", "site.toml"}).error().message ==
        "--drop-in, --base and --builtin-base belong to the validate command");
  CHECK_FALSE(parseCtlOptions({"check", "--drop-in"}).ok());
  CHECK(parseCtlOptions({"validate", "--base", "a.toml", "--builtin-base", "b.toml"}).error().message ==
        "Give --base FILE or --builtin-base, not both");
  CHECK(parseCtlOptions({"validate", "a.toml", "--drop-in"}).error().message ==
        "--drop-in needs a FILE after it");
  CHECK(parseCtlOptions({"validate", "--base"}).error().message == "Option --base needs a value");
  CHECK(parseCtlOptions({"validate", "--builtin-base"}).error().message ==
        "validate needs at least one FILE");
}

TEST_CASE("jmemctl's help lists every exit code", "[ctl]") {
  const std::string usage = ctlUsage();
  for (int code : {kExitOk, kExitFailure, kExitUsage, kExitNotRunning, kExitDenied}) {
    CHECK(usage.find("  " + std::to_string(code) + "  ") != std::string::npos);
  }
}

TEST_CASE("every verb of the table is parsed by its name, named in the help, and found again by its value",
          "[ctl]") {
  const std::string usage = ctlUsage();
  for (const VerbEntry& entry : verbTable()) {
    INFO(entry.name);
    std::vector<std::string_view> args{entry.name};
    if (entry.operands == Operands::kFiles) args.push_back("policy.toml");
    if (entry.operands == Operands::kUnit) args.push_back("batch.service");
    if (entry.operands == Operands::kSize) args.push_back("700M");
    const auto options = parseCtlOptions(args);
    REQUIRE(options.ok());
    CHECK(options->verb == entry.verb);
    CHECK(&verbEntry(entry.verb) == &entry);
    CHECK(usage.find("\n  " + std::string(entry.name) + " ") != std::string::npos);
    CHECK(entry.help.ends_with("\n"));
  }
}

TEST_CASE("make-room takes a size in bytes or with K, M or G, and its own options", "[ctl]") {
  CHECK(parseSize("4096") == 4096u);
  CHECK(parseSize("700M") == 700u << 20);
  CHECK(parseSize("700MiB") == 700u << 20);
  CHECK(parseSize("1.5G") == 3u << 29);
  CHECK(parseSize("64k") == 64u << 10);
  for (const char* bad : {"", "M", "-1G", "1e9", "1.5", "1..5G", ".5G", "5T", "2000G", "7 M", "0x10",
                          "17179869185G", "1.9999999G"}) {
    INFO(bad);
    CHECK_FALSE(parseSize(bad));
  }
  auto options =
      parseCtlOptions({"make-room", "1.5G", "--for", "loader.service", "--timeout", "90", "--hold=30"});
  REQUIRE(options.ok());
  CHECK(options->room_bytes == 3u << 29);
  CHECK(options->room_for == "loader.service");
  CHECK(options->room_timeout_s == 90);
  CHECK(options->room_hold_s == 30);
  CHECK(parseCtlOptions({"make-room"}).error().message == "make-room needs a SIZE");
  CHECK(parseCtlOptions({"make-room", "0"}).error().message.find("Invalid size") == 0);
  CHECK(parseCtlOptions({"make-room", "1G", "--timeout", "601"}).error().message.find("Invalid --timeout") ==
        0);
  CHECK(parseCtlOptions({"make-room", "1G", "--for", "../x"}).error().message.find("Invalid unit name") == 0);
  CHECK(parseCtlOptions({"status", "--hold", "5"}).error().message ==
        "--for, --timeout and --hold belong to the make-room command");
}

TEST_CASE("a verb that takes a unit says so by its name when the unit is missing", "[ctl]") {
  for (const VerbEntry& entry : verbTable()) {
    if (entry.operands != Operands::kUnit) continue;
    const auto options = parseCtlOptions({entry.name});
    REQUIRE_FALSE(options.ok());
    CHECK(options.error().message == std::string(entry.name) + " needs a UNIT");
  }
}

TEST_CASE("jmemctl takes a value option's value inline and refuses one on a flag", "[ctl]") {
  auto options = parseCtlOptions({"top", "--sort=pss", "--lines=5"});
  REQUIRE(options.ok());
  CHECK(options->sort == SortKey::kPss);
  CHECK(options->limit == 5);
  auto flag = parseCtlOptions({"status", "--no-pager=yes"});
  REQUIRE_FALSE(flag.ok());
  CHECK(flag.error().message == "Option --no-pager takes no value");
}

TEST_CASE(
    "jmemctl --json is indented alone or with =pretty and on one line with =short and takes no next word",
    "[ctl]") {
  for (const auto& [arg, one_line] : std::vector<std::pair<std::string_view, bool>>{
           {"--json", false}, {"--json=pretty", false}, {"--json=short", true}}) {
    INFO(arg);
    const auto options = parseCtlOptions({arg, "check"});
    REQUIRE(options.ok());
    CHECK(options->json);
    CHECK(options->json_short == one_line);
    CHECK(options->verb == Verb::kCheck);
  }
  CHECK(parseCtlOptions({"--json=yaml"}).error().message ==
        "Invalid JSON format \"yaml\": expected pretty or short");
}

TEST_CASE("top -n with --json needs -b: a script that meant rows gets an error, not documents over time",
          "[ctl]") {
  CHECK(parseCtlOptions({"top", "-n", "5", "--json"}).error().message ==
        "-n counts snapshots, as top -b -n does: give -b with it, or --lines N for rows");
  CHECK(parseCtlOptions({"top", "-b", "-n", "5", "--json"}).ok());
  CHECK(parseCtlOptions({"top", "--lines", "5", "--json"}).ok());
}

TEST_CASE("after a double dash every word is an operand even a file named like an option", "[ctl]") {
  const auto options = parseCtlOptions({"validate", "--", "-odd.toml", "--json"});
  REQUIRE(options.ok());
  CHECK(options->files == std::vector<std::string>{"-odd.toml", "--json"});
  CHECK_FALSE(options->json);
  CHECK_FALSE(parseCtlOptions({"validate", "-odd.toml"}).ok());
  // systemd allows a unit name to start with "-" ("-.slice"): after "--" it is a unit.
  CHECK(parseCtlOptions({"throttle", "--", "-x.service"})->unit == "-x.service");
  CHECK_FALSE(parseCtlOptions({"throttle", "-x.service"}).ok());
}

TEST_CASE("help, help VERB and VERB --help each show help, the verb's alone for a verb", "[ctl]") {
  const auto all = parseCtlOptions({"help"});
  REQUIRE(all.ok());
  CHECK(all->help);
  CHECK(all->help_verb.empty());
  const auto one = parseCtlOptions({"help", "top"});
  REQUIRE(one.ok());
  CHECK(one->help_verb == "top");
  // Help for a verb asks nothing else of the line: throttle's missing unit is no error here.
  const auto asked = parseCtlOptions({"throttle", "--help"});
  REQUIRE(asked.ok());
  CHECK(asked->help_verb == "throttle");
  CHECK(parseCtlOptions({"help", "stauts"}).error().message ==
        "Unknown command \"stauts\"; see jmemctl help");
  CHECK_FALSE(parseCtlOptions({"help", "top", "check"}).ok());
}

TEST_CASE("each verb's help names its usage, its own options and the common ones, and only its own",
          "[ctl]") {
  for (const VerbEntry& entry : verbTable()) {
    INFO(entry.name);
    const std::string usage = verbUsage(entry.name);
    CHECK(usage.starts_with("Usage: jmemctl [OPTIONS] " + std::string(entry.synopsis) + "\n"));
    CHECK(usage.find(entry.help) != std::string::npos);
    CHECK(usage.find("--json[=pretty|short]") != std::string::npos);
    for (const VerbEntry& other : verbTable()) {
      if (&other != &entry) CHECK(usage.find(other.help) == std::string::npos);
    }
  }
  CHECK(verbUsage("top").find("--lines N") != std::string::npos);
}
