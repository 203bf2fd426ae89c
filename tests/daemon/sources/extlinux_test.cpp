#include "sources/extlinux.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "sources/kernel_cmdline.h"
#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::fixtureFile;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

namespace {

const std::string kPrimaryAppend =
    "${cbootargs} root=PARTUUID=8c3a4f2e-1d7b-4e9a-b6c5-2f0e9d8a7b61 rw rootwait rootfstype=ext4 "
    "mminit_loglevel=4 console=ttyTCU0,115200 firmware_class.path=/etc/firmware fbcon=map:0 nospectre_bhb "
    "video=efifb:off console=tty0";

std::string jetpack6() {
  return fixtureFile("boot/jetpack6-extlinux.conf");
}

ExtlinuxConfig parsed(const std::string& text) {
  auto config = parseExtlinux(text);
  if (!config) FAIL(config.error().message);
  return std::move(config).value();
}

std::string parseError(const std::string& text) {
  const auto config = parseExtlinux(text);
  REQUIRE_FALSE(config);
  return config.error().message;
}

// `text` with the one occurrence of `from` replaced by `to`; fails the test when it is not exactly one.
std::string replacedOnce(const std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  REQUIRE(text.find(from, at + 1) == std::string::npos);
  return text.substr(0, at) + to + text.substr(at + from.size());
}

const std::string kTwoLabels =
    "DEFAULT one\n"
    "LABEL one\n"
    "  LINUX /boot/Image\n"
    "  APPEND ${cbootargs} quiet\n"
    "LABEL two\n"
    "  LINUX /boot/Image.two\n";

}  // namespace

TEST_CASE("the JetPack 6 extlinux.conf reads as its two labels with their lines", "[sources]") {
  const ExtlinuxConfig config = parsed(jetpack6());
  REQUIRE(config.timeout());
  CHECK(config.timeout()->text == "30");
  CHECK(config.timeout()->line == 1);
  REQUIRE(config.defaultLabel());
  CHECK(config.defaultLabel()->text == "primary");
  CHECK(config.defaultLabel()->line == 2);
  REQUIRE(config.menuTitle());
  CHECK(config.menuTitle()->text == "L4T boot options");
  CHECK(config.lineCount() == 30);
  CHECK(config.text() == jetpack6());

  REQUIRE(config.entries().size() == 2);
  const ExtlinuxEntry& primary = config.entries()[0];
  CHECK(primary.label.text == "primary");
  CHECK(primary.label.line == 6);
  REQUIRE(primary.menu_label);
  CHECK(primary.menu_label->text == "primary kernel");
  CHECK(primary.kernel.text == "/boot/Image");
  CHECK(primary.kernel.line == 8);
  CHECK_FALSE(primary.fdt);
  REQUIRE(primary.initrd);
  CHECK(primary.initrd->text == "/boot/initrd");
  REQUIRE(primary.append);
  CHECK(primary.append->text == kPrimaryAppend);
  CHECK(primary.append->line == 10);

  const ExtlinuxEntry& backup = config.entries()[1];
  CHECK(backup.label.text == "backup");
  CHECK(backup.label.line == 25);
  CHECK(backup.kernel.text == "/boot/Image.backup");
  REQUIRE(backup.fdt);
  CHECK(backup.fdt->text == "/boot/dtb/kernel_tegra234-p3768-0000+p3767-0005-nv.dtb");
  CHECK(backup.fdt->line == 28);
  REQUIRE(backup.append);
  CHECK(backup.append->line == 30);

  CHECK(config.defaultEntry() == &primary);
  CHECK(config.entry("backup") == &backup);
  CHECK(config.entry("Backup") == nullptr);
  CHECK(config.line(10) == "      APPEND " + kPrimaryAppend);
  CHECK(config.line(31).empty());
}

TEST_CASE("the APPEND of the JetPack 6 default entry parses as the boot's command line, without swiotlb",
          "[sources]") {
  const ExtlinuxConfig config = parsed(jetpack6());
  const auto cmdline = parseKernelCmdline(config.defaultEntry()->append->text);
  REQUIRE(cmdline);
  CHECK(cmdline->parameters.front().key == "${cbootargs}");
  CHECK(cmdline->value("root") == "PARTUUID=8c3a4f2e-1d7b-4e9a-b6c5-2f0e9d8a7b61");
  CHECK_FALSE(cmdline->has("swiotlb"));
}

TEST_CASE("without a DEFAULT line the first LABEL is the default entry, as L4TLauncher and U-Boot boot it",
          "[sources]") {
  const ExtlinuxConfig config = parsed(kTwoLabels.substr(kTwoLabels.find('\n') + 1));
  CHECK_FALSE(config.defaultLabel());
  REQUIRE(config.defaultEntry() != nullptr);
  CHECK(config.defaultEntry()->label.text == "one");
}

TEST_CASE("DEFAULT may name a later LABEL, and may come after the labels", "[sources]") {
  const ExtlinuxConfig config = parsed(replacedOnce(kTwoLabels, "DEFAULT one\n", "") + "DEFAULT two\n");
  REQUIRE(config.defaultEntry() != nullptr);
  CHECK(config.defaultEntry()->label.text == "two");
  CHECK(config.defaultLabel()->line == 6);
}

TEST_CASE("keywords are case-insensitive, indented by spaces or tabs, and comments are skipped",
          "[sources]") {
  const ExtlinuxConfig config = parsed(
      "# generated\n"
      "\tdefault main   \n"
      "Menu Title Boot\n"
      "label main\n"
      "\t  menu label Main kernel\n"
      "\tlinux /boot/Image\n"
      "  # APPEND commented out\n"
      "\tinitrd /boot/initrd\n"
      "\tfdt /boot/a.dtb\n"
      "\tappend rw quiet\n");
  CHECK(config.defaultLabel()->text == "main");
  CHECK(config.menuTitle()->text == "Boot");
  const ExtlinuxEntry* entry = config.defaultEntry();
  REQUIRE(entry != nullptr);
  CHECK(entry->menu_label->text == "Main kernel");
  CHECK(entry->kernel.text == "/boot/Image");
  CHECK(entry->initrd->text == "/boot/initrd");
  CHECK(entry->fdt->text == "/boot/a.dtb");
  CHECK(entry->append->text == "rw quiet");
  CHECK(entry->append->line == 10);
}

TEST_CASE("a '#' ends the arguments of a line, as L4TLauncher cuts lines there", "[sources]") {
  const ExtlinuxConfig config =
      parsed("LABEL a\nLINUX /boot/Image # the stock kernel\nAPPEND rw quiet  # tuned\n");
  CHECK(config.defaultEntry()->kernel.text == "/boot/Image");
  CHECK(config.defaultEntry()->append->text == "rw quiet");
}

TEST_CASE("unknown keywords are kept and ignored", "[sources]") {
  const ExtlinuxConfig config =
      parsed("PROMPT 0\nMENU BACKGROUND splash.png\nLABEL a\n  LINUX /boot/Image\n  OVERLAYS /boot/x.dtbo\n");
  CHECK(config.entries().size() == 1);
  CHECK(config.line(5) == "  OVERLAYS /boot/x.dtbo");
}

TEST_CASE("an entry may have no APPEND line, or an empty one", "[sources]") {
  const ExtlinuxConfig config = parsed(kTwoLabels + "LABEL three\n  LINUX /boot/Image\n  APPEND\n");
  CHECK_FALSE(config.entry("two")->append);
  REQUIRE(config.entry("three")->append);
  CHECK(config.entry("three")->append->text.empty());
}

TEST_CASE("DEFAULT naming a label that does not exist is an error with its line", "[sources]") {
  CHECK(parseError(replacedOnce(jetpack6(), "DEFAULT primary", "DEFAULT primry")) ==
        "extlinux.conf:2: DEFAULT names LABEL \"primry\", which does not exist");
  CHECK(parseError("DEFAULT\nLABEL a\nLINUX /x\n") == "extlinux.conf:1: DEFAULT without a label");
}

TEST_CASE("a duplicate label is an error naming both lines", "[sources]") {
  CHECK(parseError(replacedOnce(jetpack6(), "\nLABEL backup\n", "\nLABEL primary\n")) ==
        "extlinux.conf:25: duplicate LABEL \"primary\" (the first is on line 6)");
}

TEST_CASE("labels differing only in case are two labels", "[sources]") {
  const ExtlinuxConfig config = parsed("LABEL a\nLINUX /x\nLABEL A\nLINUX /y\n");
  CHECK(config.entries().size() == 2);
  CHECK(config.entry("A")->kernel.text == "/y");
}

TEST_CASE("a label without LINUX is an error naming the label's line", "[sources]") {
  CHECK(parseError(replacedOnce(jetpack6(), "    LINUX /boot/Image.backup\n", "")) ==
        "extlinux.conf:25: LABEL \"backup\" has no LINUX line");
  CHECK(parseError("LABEL a\n  LINUX\n") == "extlinux.conf:2: LINUX without a value");
  CHECK(parseError("LABEL\n") == "extlinux.conf:1: LABEL without a name");
}

TEST_CASE("a keyword repeated within one label is an error, not one of them silently winning", "[sources]") {
  CHECK(parseError(replacedOnce(jetpack6(), "      INITRD /boot/initrd\n",
                                "      APPEND quiet\n      INITRD /boot/initrd\n")) ==
        "extlinux.conf:11: second APPEND in LABEL \"primary\" (the first is on line 9)");
  CHECK(parseError("LABEL a\nLINUX /x\nKERNEL /y\n") ==
        "extlinux.conf:3: second LINUX in LABEL \"a\" (the first is on line 2)");
  CHECK(parseError("TIMEOUT 1\nTIMEOUT 2\nLABEL a\nLINUX /x\n") ==
        "extlinux.conf:2: second TIMEOUT (the first is on line 1)");
}

TEST_CASE("a label keyword before the first LABEL is an error", "[sources]") {
  CHECK(parseError("APPEND quiet\nLABEL a\nLINUX /x\n") == "extlinux.conf:1: APPEND before the first LABEL");
  CHECK(parseError("TIMEOUT 5\n  LINUX /x\n") == "extlinux.conf:2: LINUX before the first LABEL");
}

TEST_CASE("a file with no LABEL is an error", "[sources]") {
  CHECK(parseError("") == "extlinux.conf: no LABEL");
  CHECK(parseError("TIMEOUT 30\nDEFAULT primary\n# LABEL primary\n") == "extlinux.conf: no LABEL");
}

TEST_CASE("binary garbage and NUL bytes are errors naming the line", "[sources]") {
  CHECK(parseError("LABEL a\nLINUX /x\n" + std::string("APPEND a\0b\n", 11)) ==
        "extlinux.conf:3: NUL byte; not a text file");
  CHECK(parseError(std::string("\x7f"
                               "ELF\x02\x01\x01\0\0\0",
                               11)) == "extlinux.conf:1: control character 0x7f; not a text file");
  CHECK(parseError("LABEL a\nLINUX /x\x1b[2J\n") ==
        "extlinux.conf:2: control character 0x1b; not a text file");
  CHECK(parseError("LABEL a\rLINUX /x\n") == "extlinux.conf:1: control character 0x0d; not a text file");
}

TEST_CASE("an extlinux.conf larger than the bound is an error", "[sources]") {
  const std::string text = jetpack6() + "#" + std::string(kMaxExtlinuxBytes, ' ') + "\n";
  CHECK(parseError(text) == "extlinux.conf: larger than 65536 bytes");
}

TEST_CASE("a DEFAULT beyond the tenth label is an error: L4TLauncher reads only ten", "[sources]") {
  std::string text = "DEFAULT l11\n";
  for (int i = 1; i <= 11; ++i) text += "LABEL l" + std::to_string(i) + "\n  LINUX /boot/Image\n";
  CHECK(parseError(text) ==
        "extlinux.conf:1: DEFAULT names LABEL \"l11\", number 11; the bootloader reads only the first 10");
  CHECK(parsed(replacedOnce(text, "DEFAULT l11", "DEFAULT l10")).defaultEntry()->label.text == "l10");
}

TEST_CASE("rewriting the default APPEND changes that line only and keeps every other byte", "[sources]") {
  const std::string original = jetpack6();
  const ExtlinuxConfig config = parsed(original);
  const std::string new_append = kPrimaryAppend + " swiotlb=2048";
  const auto rewritten = withDefaultAppend(config, new_append);
  REQUIRE(rewritten);
  // The primary APPEND line is the first of the two identical ones.
  const std::string old_line = "      APPEND " + kPrimaryAppend + "\n";
  const auto at = original.find(old_line);
  REQUIRE(at != std::string::npos);
  const std::string expected =
      original.substr(0, at) + "      APPEND " + new_append + "\n" + original.substr(at + old_line.size());
  CHECK(*rewritten == expected);
  const ExtlinuxConfig after = parsed(*rewritten);
  CHECK(after.defaultEntry()->append->text == new_append);
  CHECK(after.entry("backup")->append->text == kPrimaryAppend);
}

TEST_CASE("rewriting follows DEFAULT to the entry the next boot uses", "[sources]") {
  const std::string original = replacedOnce(jetpack6(), "DEFAULT primary", "DEFAULT backup");
  const auto rewritten = withDefaultAppend(parsed(original), "${cbootargs} rw");
  REQUIRE(rewritten);
  CHECK(*rewritten ==
        replacedOnce(original, "\n    APPEND " + kPrimaryAppend + "\n", "\n    APPEND ${cbootargs} rw\n"));
}

TEST_CASE("rewriting keeps the keyword's spelling, its spacing, a trailing comment and CRLF line ends",
          "[sources]") {
  const std::string original =
      "TIMEOUT 30\r\n"
      "DEFAULT main\r\n"
      "LABEL main\r\n"
      "\t Linux /boot/Image\r\n"
      "\t Append\t ${cbootargs} quiet   # keep me\r\n"
      "LABEL other\r\n"
      "\t Linux /boot/Image\r\n";
  const auto rewritten = withDefaultAppend(parsed(original), "${cbootargs} quiet swiotlb=2048");
  REQUIRE(rewritten);
  CHECK(*rewritten == replacedOnce(original, "\t Append\t ${cbootargs} quiet   # keep me\r\n",
                                   "\t Append\t ${cbootargs} quiet swiotlb=2048   # keep me\r\n"));
}

TEST_CASE("an entry without APPEND gets one after its LINUX line, indented and ended like it", "[sources]") {
  const std::string original =
      "DEFAULT main\n"
      "LABEL main\n"
      "\t  LINUX /boot/Image\n"
      "\t  INITRD /boot/initrd\n";
  const auto rewritten = withDefaultAppend(parsed(original), "${cbootargs} swiotlb=2048");
  REQUIRE(rewritten);
  CHECK(*rewritten ==
        "DEFAULT main\n"
        "LABEL main\n"
        "\t  LINUX /boot/Image\n"
        "\t  APPEND ${cbootargs} swiotlb=2048\n"
        "\t  INITRD /boot/initrd\n");
  CHECK(parsed(*rewritten).defaultEntry()->append->line == 4);
}

TEST_CASE("an APPEND added after a LINUX line that ends the file keeps the file's line ends", "[sources]") {
  const auto crlf = withDefaultAppend(parsed("LABEL a\r\n  linux /boot/Image"), "rw");
  REQUIRE(crlf);
  CHECK(*crlf == "LABEL a\r\n  linux /boot/Image\r\n  append rw");
  const auto lf = withDefaultAppend(parsed("LABEL a\n  LINUX /boot/Image"), "rw");
  REQUIRE(lf);
  CHECK(*lf == "LABEL a\n  LINUX /boot/Image\n  APPEND rw");
}

TEST_CASE("an empty APPEND line gets its arguments after the keyword", "[sources]") {
  const auto rewritten = withDefaultAppend(parsed("LABEL a\nLINUX /x\nAPPEND\nLABEL b\nLINUX /y\n"), "rw");
  REQUIRE(rewritten);
  CHECK(*rewritten == "LABEL a\nLINUX /x\nAPPEND rw\nLABEL b\nLINUX /y\n");
}

TEST_CASE("APPEND arguments that would not read back as one line are refused", "[sources]") {
  const ExtlinuxConfig config = parsed(jetpack6());
  const std::string bad = GENERATE(std::string("rw\nLABEL evil"), std::string("rw\r"), std::string("rw\0", 3),
                                   std::string("rw # comment"), std::string("rw\x1b"));
  const auto rewritten = withDefaultAppend(config, bad);
  REQUIRE_FALSE(rewritten);
  CHECK(rewritten.error().message.rfind("Refusing to write APPEND arguments with ", 0) == 0);
}

TEST_CASE("swiotlb set on the JetPack 6 default entry is what the rewritten file boots with", "[sources]") {
  const std::string original = jetpack6();
  const ExtlinuxConfig config = parsed(original);
  const auto append = setArgument(config.defaultEntry()->append->text, "swiotlb", "65536,force");
  REQUIRE(append);
  CHECK(*append == kPrimaryAppend + " swiotlb=65536,force");
  const auto rewritten = withDefaultAppend(config, *append);
  REQUIRE(rewritten);
  const ExtlinuxConfig after = parsed(*rewritten);
  const auto cmdline = parseKernelCmdline(after.defaultEntry()->append->text);
  REQUIRE(cmdline);
  const auto swiotlb = swiotlbOf(*cmdline);
  REQUIRE(swiotlb);
  CHECK(swiotlb->slabs == 65536u);
  CHECK(swiotlb->force);
  CHECK(swiotlbBytes(*swiotlb->slabs) == 128u * 1024 * 1024);

  // And removing it again gives back the original file, byte for byte.
  const auto without = removeArgument(after.defaultEntry()->append->text, "swiotlb");
  REQUIRE(without);
  const auto restored = withDefaultAppend(after, *without);
  REQUIRE(restored);
  CHECK(*restored == original);
}

TEST_CASE("readExtlinux reads a file and names it in errors", "[sources]") {
  FixtureTree tree(Files{{"boot/extlinux/extlinux.conf", jetpack6()},
                         {"boot/extlinux/broken.conf", "DEFAULT x\nLABEL y\nLINUX /z\n"}});
  const auto config = readExtlinux(tree.path("boot/extlinux/extlinux.conf"));
  REQUIRE(config);
  CHECK(config->defaultEntry()->label.text == "primary");
  const auto broken = readExtlinux(tree.path("boot/extlinux/broken.conf"));
  REQUIRE_FALSE(broken);
  CHECK(broken.error().message == tree.path("boot/extlinux/broken.conf").string() +
                                      ":1: DEFAULT names LABEL \"x\", which does not exist");
  const auto missing = readExtlinux(tree.path("boot/extlinux/none.conf"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message ==
        "Failed to open " + tree.path("boot/extlinux/none.conf").string() + ": No such file or directory");
}
