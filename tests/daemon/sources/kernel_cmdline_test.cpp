#include "sources/kernel_cmdline.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

namespace {

// /proc/cmdline of JetPack 6 on an Orin Nano, as the reference gives it (no swiotlb=).
const std::string kJetPack6Cmdline =
    "root=PARTUUID=... rw rootwait rootfstype=ext4 mminit_loglevel=4 console=ttyTCU0,115200 "
    "firmware_class.path=/etc/firmware fbcon=map:0 video=efifb:off console=tty0 bl_prof_dataptr=... "
    "bl_prof_ro_ptr=...\n";

KernelCmdline parsed(const std::string& text) {
  auto cmdline = parseKernelCmdline(text);
  REQUIRE(cmdline);
  return std::move(cmdline).value();
}

std::vector<std::string> keys(const KernelCmdline& cmdline) {
  std::vector<std::string> out;
  for (const auto& parameter : cmdline.parameters) out.push_back(parameter.key);
  return out;
}

}  // namespace

TEST_CASE("the JetPack 6 command line reads as its parameters in order, without swiotlb", "[sources]") {
  const KernelCmdline cmdline = parsed(kJetPack6Cmdline);
  CHECK(keys(cmdline) == std::vector<std::string>{"root", "rw", "rootwait", "rootfstype", "mminit_loglevel",
                                                  "console", "firmware_class.path", "fbcon", "video",
                                                  "console", "bl_prof_dataptr", "bl_prof_ro_ptr"});
  CHECK(cmdline.value("root") == "PARTUUID=...");
  CHECK(cmdline.value("fbcon") == "map:0");
  CHECK(cmdline.value("firmware_class.path") == "/etc/firmware");
  CHECK(cmdline.has("rw"));
  CHECK_FALSE(cmdline.value("rw"));
  CHECK_FALSE(cmdline.has("swiotlb"));
  CHECK_FALSE(cmdline.value("swiotlb"));
  CHECK(cmdline.init_arguments.empty());
  const auto swiotlb = swiotlbOf(cmdline);
  REQUIRE(swiotlb);
  CHECK_FALSE(swiotlb->slabs);
  CHECK_FALSE(swiotlb->areas);
  CHECK_FALSE(swiotlb->force);
  CHECK_FALSE(swiotlb->noforce);
}

TEST_CASE("a repeated key reads as its last occurrence, the one the kernel acts on", "[sources]") {
  const KernelCmdline cmdline = parsed(kJetPack6Cmdline);
  CHECK(cmdline.value("console") == "tty0");
  const auto all = cmdline.all("console");
  REQUIRE(all.size() == 2);
  CHECK(all[0]->value == "ttyTCU0,115200");
  CHECK(all[1]->value == "tty0");
  // The last occurrence decides even when it is a bare key.
  CHECK_FALSE(parsed("quiet=1 quiet").value("quiet"));
  CHECK(parsed("quiet quiet=1").value("quiet") == "1");
}

TEST_CASE("a bare key has no value, and key= has an empty one", "[sources]") {
  const KernelCmdline cmdline = parsed("quiet init= splash");
  CHECK(cmdline.has("quiet"));
  CHECK_FALSE(cmdline.value("quiet"));
  CHECK(cmdline.has("init"));
  CHECK(cmdline.value("init") == "");
  CHECK_FALSE(cmdline.has("qui"));
  CHECK_FALSE(cmdline.has("quiet "));
}

TEST_CASE("tokens record where they are in the text, quotes included", "[sources]") {
  const std::string text = "  ${cbootargs}\troot=/dev/mmcblk0p1   dyndbg=\"file x.c +p\" quiet";
  const KernelCmdline cmdline = parsed(text);
  REQUIRE(cmdline.parameters.size() == 4);
  for (const auto& parameter : cmdline.parameters) {
    INFO(parameter.key);
    const std::string token = text.substr(parameter.offset, parameter.length);
    CHECK(token.rfind(parameter.key, 0) == 0);
  }
  CHECK(cmdline.parameters[0].key == "${cbootargs}");
  CHECK(cmdline.parameters[0].offset == 2);
  CHECK(text.substr(cmdline.parameters[2].offset, cmdline.parameters[2].length) == "dyndbg=\"file x.c +p\"");
}

TEST_CASE("a quoted value may hold spaces and loses its quotes, as in the kernel's next_arg", "[sources]") {
  const KernelCmdline cmdline =
      parsed("dyndbg=\"file drivers/usb/* +p\" \"acpi_osi=!Windows 2012\" x=\"\" y=a\"b c\"d");
  CHECK(cmdline.value("dyndbg") == "file drivers/usb/* +p");
  CHECK(cmdline.value("acpi_osi") == "!Windows 2012");
  CHECK(cmdline.value("x") == "");
  // Quotes that do not open the value stay: the kernel only strips a leading one.
  CHECK(cmdline.value("y") == "a\"b c\"d");
  CHECK(cmdline.parameters.size() == 4);
}

TEST_CASE("an unterminated quote is an error naming the token", "[sources]") {
  const auto cmdline = parseKernelCmdline("rw dyndbg=\"file x.c +p quiet");
  REQUIRE_FALSE(cmdline);
  CHECK(cmdline.error().message == "unterminated quote in \"dyndbg=\"file x.c +p quiet\"");
}

TEST_CASE("a NUL byte in a command line is an error naming its offset", "[sources]") {
  const auto cmdline = parseKernelCmdline(std::string("rw\0quiet", 8));
  REQUIRE_FALSE(cmdline);
  CHECK(cmdline.error().message == "NUL byte at offset 2 of the command line");
}

TEST_CASE("dashes and underscores in parameter names are the same, as in the kernel's parameq", "[sources]") {
  const KernelCmdline cmdline = parsed("mminit-loglevel=4 firmware_class.path=/lib/fw");
  CHECK(cmdline.value("mminit_loglevel") == "4");
  CHECK(cmdline.has("firmware-class.path"));
  CHECK_FALSE(cmdline.has("mminit.loglevel"));
  CHECK(sameParameterName("a-b_c", "a_b-c"));
  CHECK_FALSE(sameParameterName("a-b", "a-bc"));
}

TEST_CASE("everything after -- is for init, not the kernel", "[sources]") {
  const KernelCmdline cmdline = parsed("root=/dev/sda1 -- single swiotlb=2048");
  CHECK(keys(cmdline) == std::vector<std::string>{"root"});
  REQUIRE(cmdline.separator);
  CHECK(cmdline.separator->offset == 15);
  REQUIRE(cmdline.init_arguments.size() == 2);
  CHECK(cmdline.init_arguments[0].key == "single");
  CHECK_FALSE(cmdline.has("swiotlb"));
  CHECK_FALSE(parsed("root=x --=1").separator);
}

TEST_CASE("an equals sign in the first place does not end the key", "[sources]") {
  const KernelCmdline cmdline = parsed("=a=b");
  REQUIRE(cmdline.parameters.size() == 1);
  CHECK(cmdline.parameters[0].key == "=a");
  CHECK(cmdline.parameters[0].value == "b");
}

TEST_CASE("an empty or all-blank command line has no parameters", "[sources]") {
  CHECK(parsed("").parameters.empty());
  CHECK(parsed(" \t\n").parameters.empty());
}

TEST_CASE("swiotlb values read as slabs, areas and force or noforce", "[sources]") {
  struct Case {
    const char* value;
    std::optional<std::uint64_t> slabs;
    std::optional<std::uint64_t> areas;
    bool force;
    bool noforce;
  };
  const Case c = GENERATE(values<Case>({
      {"2048", 2048, std::nullopt, false, false},
      {"2048,force", 2048, std::nullopt, true, false},
      {"noforce", std::nullopt, std::nullopt, false, true},
      {"force", std::nullopt, std::nullopt, true, false},
      {"65536,4096,force", 65536, 4096, true, false},
      {"65536,4096", 65536, 4096, false, false},
      {"32768,noforce", 32768, std::nullopt, false, true},
      {"2048,,force", 2048, std::nullopt, true, false},
      {"0x800", 2048, std::nullopt, false, false},  // simple_strtoul base 0: hexadecimal
      {"010", 8, std::nullopt, false, false},       // and octal
      {"0", 0, std::nullopt, false, false},
  }));
  INFO(c.value);
  const auto swiotlb = parseSwiotlb(c.value);
  REQUIRE(swiotlb);
  CHECK(swiotlb->slabs == c.slabs);
  CHECK(swiotlb->areas == c.areas);
  CHECK(swiotlb->force == c.force);
  CHECK(swiotlb->noforce == c.noforce);
}

TEST_CASE("a swiotlb value the kernel would ignore in part or whole is an error naming it", "[sources]") {
  const std::string value =
      GENERATE("", ",", ",,", "abc", "2048,forc", "2048,force,extra", "-1", "2048 ", "FORCE",
               "2048,4096,8192", "0x", "08", "18446744073709551616", "9007199254740992", "1,4294967296");
  const auto swiotlb = parseSwiotlb(value);
  REQUIRE_FALSE(swiotlb);
  CHECK(swiotlb.error().message == "invalid swiotlb value \"" + value + "\"");
}

TEST_CASE("swiotlb occurrences combine as the kernel applies them one after the other", "[sources]") {
  const auto later_size = swiotlbOf(parsed("swiotlb=1024,force swiotlb=4096"));
  REQUIRE(later_size);
  CHECK(later_size->slabs == 4096u);
  CHECK(later_size->force);  // force sticks
  const auto flag_only = swiotlbOf(parsed("swiotlb=2048 swiotlb=noforce"));
  REQUIRE(flag_only);
  CHECK(flag_only->slabs == 2048u);
  CHECK(flag_only->noforce);
  CHECK_FALSE(flag_only->force);
}

TEST_CASE("a swiotlb parameter without a value or with garbage makes the command line's swiotlb an error",
          "[sources]") {
  const auto bare = swiotlbOf(parsed("rw swiotlb"));
  REQUIRE_FALSE(bare);
  CHECK(bare.error().message == "swiotlb without a value");
  const auto garbage = swiotlbOf(parsed("rw swiotlb=2048 swiotlb=lots"));
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().message == "invalid swiotlb value \"lots\"");
}

TEST_CASE("swiotlb slabs are 2 KiB each and the size saturates instead of wrapping", "[sources]") {
  CHECK(swiotlbBytes(2048) == 4u * 1024 * 1024);
  CHECK(swiotlbBytes(0) == 0u);
  CHECK(swiotlbBytes(32768) == 64u * 1024 * 1024);
  CHECK(swiotlbBytes(std::uint64_t{1} << 60) == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("setArgument replaces a value in place and keeps every other byte", "[sources]") {
  const auto set = setArgument("${cbootargs}  root=/dev/mmcblk0p1 swiotlb=1024\tquiet ", "swiotlb", "2048");
  REQUIRE(set);
  CHECK(*set == "${cbootargs}  root=/dev/mmcblk0p1 swiotlb=2048\tquiet ");
}

TEST_CASE("setArgument adds a missing key after the last one, before trailing blanks", "[sources]") {
  const auto set = setArgument("${cbootargs} root=/dev/mmcblk0p1 rw  ", "swiotlb", "2048");
  REQUIRE(set);
  CHECK(*set == "${cbootargs} root=/dev/mmcblk0p1 rw swiotlb=2048  ");
  const auto empty = setArgument("", "swiotlb", "2048");
  REQUIRE(empty);
  CHECK(*empty == "swiotlb=2048");
}

TEST_CASE("setArgument adds a missing key before -- so that it stays a kernel parameter", "[sources]") {
  const auto set = setArgument("rw -- single", "swiotlb", "2048");
  REQUIRE(set);
  CHECK(*set == "rw swiotlb=2048 -- single");
  const auto existing_after = setArgument("rw -- swiotlb=1", "swiotlb", "2048");
  REQUIRE(existing_after);
  CHECK(*existing_after == "rw swiotlb=2048 -- swiotlb=1");
}

TEST_CASE("setArgument keeps the first occurrence in place and removes the later ones", "[sources]") {
  const auto set = setArgument("swiotlb=1 rw swiotlb=2,force quiet swiotlb=3", "swiotlb", "2048");
  REQUIRE(set);
  CHECK(*set == "swiotlb=2048 rw quiet");
  const auto dashed = setArgument("a mminit-loglevel=4 b", "mminit_loglevel", "0");
  REQUIRE(dashed);
  CHECK(*dashed == "a mminit_loglevel=0 b");
}

TEST_CASE("setArgument without a value sets a bare key, and quotes a value with blanks", "[sources]") {
  const auto bare = setArgument("rw quiet=0", "quiet", std::nullopt);
  REQUIRE(bare);
  CHECK(*bare == "rw quiet");
  const auto spaced = setArgument("rw", "dyndbg", "file x.c +p");
  REQUIRE(spaced);
  CHECK(*spaced == "rw dyndbg=\"file x.c +p\"");
  const auto empty = setArgument("rw", "init", "");
  REQUIRE(empty);
  CHECK(*empty == "rw init=");
}

TEST_CASE("setArgument refuses keys and values the kernel could not read back as given", "[sources]") {
  const auto bad_key = GENERATE(std::string(""), std::string("a b"), std::string("a=b"), std::string("\"a"),
                                std::string("--"), std::string("a#"), std::string("a\n"));
  const auto key = setArgument("rw", bad_key, "1");
  REQUIRE_FALSE(key);
  CHECK(key.error().message.rfind("Invalid kernel argument name ", 0) == 0);
  const auto bad_value = GENERATE(std::string("a\"b"), std::string("a#b"), std::string("a\nb"));
  const auto value = setArgument("rw", "x", bad_value);
  REQUIRE_FALSE(value);
  CHECK(value.error().message.rfind("Invalid kernel argument value ", 0) == 0);
}

TEST_CASE("setArgument on a command line with an unterminated quote is an error", "[sources]") {
  const auto set = setArgument("rw a=\"b", "swiotlb", "2048");
  REQUIRE_FALSE(set);
  CHECK(set.error().message == "unterminated quote in \"a=\"b\"");
}

TEST_CASE("removeArgument removes every occurrence with its separating blank and keeps the rest",
          "[sources]") {
  struct Case {
    const char* before;
    const char* after;
  };
  const Case c = GENERATE(values<Case>({
      {"${cbootargs} swiotlb=2048 rw", "${cbootargs} rw"},
      {"swiotlb=2048 ${cbootargs} rw", "${cbootargs} rw"},
      {"${cbootargs}\trw  swiotlb=2048", "${cbootargs}\trw"},
      {"swiotlb=2048", ""},
      {"  swiotlb=2048\tquiet", "  quiet"},
      {"a swiotlb=1 b swiotlb=2 c", "a b c"},
      {"swiotlb=1 swiotlb=2 c", "c"},
      {"a swiotlb=\"x y\" b", "a b"},
      {"a swiotlb b -- swiotlb=1", "a b -- swiotlb=1"},
      {"${cbootargs}  rw ", "${cbootargs}  rw "},
  }));
  INFO(c.before);
  const auto removed = removeArgument(c.before, "swiotlb");
  REQUIRE(removed);
  CHECK(*removed == c.after);
}

TEST_CASE("readKernelCmdline reads cmdline under an injected proc root", "[sources]") {
  FixtureTree tree(Files{{"proc/cmdline", kJetPack6Cmdline}});
  const auto cmdline = readKernelCmdline(tree.path("proc"));
  REQUIRE(cmdline);
  CHECK(cmdline->value("console") == "tty0");
  CHECK(cmdline->parameters.size() == 12);
}

TEST_CASE("readKernelCmdline names the file it could not read or parse", "[sources]") {
  SECTION("missing") {
    FixtureTree tree;
    const auto cmdline = readKernelCmdline(tree.path("proc"));
    REQUIRE_FALSE(cmdline);
    CHECK(cmdline.error().message ==
          "Failed to open " + (tree.path("proc") / "cmdline").string() + ": No such file or directory");
  }
  SECTION("unterminated quote") {
    FixtureTree tree(Files{{"proc/cmdline", "rw a=\"b\n"}});
    const auto cmdline = readKernelCmdline(tree.path("proc"));
    REQUIRE_FALSE(cmdline);
    CHECK(cmdline.error().message ==
          (tree.path("proc") / "cmdline").string() + ": unterminated quote in \"a=\"b?\"");
  }
  SECTION("far larger than any command line") {
    FixtureTree tree(Files{{"proc/cmdline", std::string(kMaxKernelCmdlineBytes + 1, 'x')}});
    const auto cmdline = readKernelCmdline(tree.path("proc"));
    REQUIRE_FALSE(cmdline);
    CHECK(cmdline.error().message.find("larger than 32768 bytes") != std::string::npos);
  }
}
