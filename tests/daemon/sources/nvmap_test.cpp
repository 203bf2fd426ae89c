#include "sources/nvmap.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <iterator>
#include <map>
#include <numeric>
#include <random>
#include <string>

#include "core/text.h"
#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::fixtureFile;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

namespace {

constexpr std::uint64_t kKiB = 1024;

// The lines of a clients file, printed with nvmap's own formats.
template <typename... Args>
std::string format(const char* pattern, Args... args) {
  char line[256];
  const int length = std::snprintf(line, sizeof line, pattern, args...);
  return std::string(line, static_cast<std::size_t>(length));
}
std::string header() {
  return format("%-18s %18s %8s %11s\n", "CLIENT", "PROCESS", "PID", "SIZE");
}
std::string row(const char* client, const char* comm, unsigned pid, unsigned long long kib) {
  return format("%-18s %18s %8u", client, comm, pid) + format(" %10lluK\n", kib);
}
std::string carveoutRow(const char* client, const char* comm, unsigned pid, std::size_t kib) {
  return format("%-18s %18s %8u", client, comm, pid) + format(" %10zu\n", kib);
}
std::string totalLine(unsigned long long kib) {
  return format("%-18s %18s %8s %10lluK\n", "total", "", "", kib);
}

std::uint64_t sumOfRows(const NvmapHeap& heap) {
  return std::accumulate(heap.clients.begin(), heap.clients.end(), std::uint64_t{0},
                         [](std::uint64_t sum, const NvmapClient& c) { return sum + c.bytes; });
}

void checkClient(const NvmapClient& client, const std::string& heap, const std::string& name,
                 const std::string& process, pid_t pid, std::uint64_t bytes) {
  INFO("client " << name << " " << process << " " << pid);
  CHECK(client.heap == heap);
  CHECK(client.client == name);
  CHECK(client.process == process);
  CHECK(client.pid == pid);
  CHECK(client.bytes == bytes);
}

}  // namespace

TEST_CASE("the reference rows are printed exactly as the public capture shows them", "[sources]") {
  // Guards the formats the other tests print with against the capture in the reference notes.
  const std::string printed = header() + row("user", "gem", 4481, 118372) +
                              row("user", "gnome-shell", 2831, 5384) + row("user", "Xorg", 1731, 18140) +
                              row("user", "nvargus-daemon", 1012, 0) + totalLine(141896);
  CHECK(printed == fixtureFile("nvmap/jetpack-desktop-iovmm-clients"));
}

TEST_CASE("the public JetPack desktop capture gives its four clients and its total", "[sources]") {
  const auto heap = parseNvmapClients(fixtureFile("nvmap/jetpack-desktop-iovmm-clients"), "iovmm");
  REQUIRE(heap);
  CHECK(heap->name == "iovmm");
  CHECK(heap->total_bytes == 141896 * kKiB);
  CHECK(heap->skipped_rows == 0);
  REQUIRE(heap->clients.size() == 4);
  checkClient(heap->clients[0], "iovmm", "user", "gem", 4481, 118372 * kKiB);
  checkClient(heap->clients[1], "iovmm", "user", "gnome-shell", 2831, 5384 * kKiB);
  checkClient(heap->clients[2], "iovmm", "user", "Xorg", 1731, 18140 * kKiB);
  checkClient(heap->clients[3], "iovmm", "user", "nvargus-daemon", 1012, 0);
}

TEST_CASE("kernel clients are kept as pid 0 rows of the process kernel", "[sources]") {
  const auto heap = parseNvmapClients(fixtureFile("nvmap/jetpack5-iovmm-clients"), "iovmm");
  REQUIRE(heap);
  REQUIRE(heap->clients.size() == 8);
  checkClient(heap->clients[0], "iovmm", "nvhost", "kernel", 0, 4096 * kKiB);
  checkClient(heap->clients[1], "iovmm", "tegra-fb", "kernel", 0, 8100 * kKiB);
}

TEST_CASE("process names with spaces are kept whole, up to the 15 characters of a comm", "[sources]") {
  const auto heap = parseNvmapClients(fixtureFile("nvmap/jetpack5-iovmm-clients"), "iovmm");
  REQUIRE(heap);
  REQUIRE(heap->clients.size() == 8);
  checkClient(heap->clients[5], "iovmm", "user", "gst-launch-1.0", 3377, 131072 * kKiB);
  checkClient(heap->clients[6], "iovmm", "user", "Isolated Web Co", 4120, 24576 * kKiB);
  checkClient(heap->clients[7], "iovmm", "user", "Web Content", 4188, 8192 * kKiB);
  CHECK(heap->skipped_rows == 0);
}

TEST_CASE("process names that look like numbers or sizes do not shift the pid and size columns",
          "[sources]") {
  const auto heap = parseNvmapClients(
      header() + row("user", "1234 5678K", 77, 64) + row("user", "  lead space", 78, 32) + totalLine(96),
      "iovmm");
  REQUIRE(heap);
  REQUIRE(heap->clients.size() == 2);
  checkClient(heap->clients[0], "iovmm", "user", "1234 5678K", 77, 64 * kKiB);
  checkClient(heap->clients[1], "iovmm", "user", "lead space", 78, 32 * kKiB);
}

TEST_CASE("the heap total is its total line, not the sum of its rows", "[sources]") {
  SECTION("above the sum: buffers that only dma-buf fds still hold") {
    const auto heap = parseNvmapClients(fixtureFile("nvmap/jetpack5-iovmm-clients"), "iovmm");
    REQUIRE(heap);
    CHECK(heap->total_bytes == 327680 * kKiB);
    CHECK(sumOfRows(*heap) < heap->total_bytes);
  }
  SECTION("below the sum: K4.9 counts a shared buffer in full in every client") {
    const auto heap = parseNvmapClients(fixtureFile("nvmap/k49-iovmm-clients"), "iovmm");
    REQUIRE(heap);
    CHECK(heap->total_bytes == 151552 * kKiB);
    CHECK(sumOfRows(*heap) > heap->total_bytes);
  }
}

TEST_CASE("the K4.9 Note lines after the total are neither rows nor errors", "[sources]") {
  const auto heap = parseNvmapClients(fixtureFile("nvmap/k49-iovmm-clients"), "iovmm");
  REQUIRE(heap);
  CHECK(heap->clients.size() == 5);
  CHECK(heap->skipped_rows == 0);
  checkClient(heap->clients[4], "iovmm", "user", "gst-launch-1.0", 7001, 49152 * kKiB);
}

TEST_CASE("nvmap rows without the K suffix are still KiB", "[sources]") {
  const auto heap = parseNvmapClients(fixtureFile("nvmap/k49-generic-0-clients"), "generic-0");
  REQUIRE(heap);
  CHECK(heap->total_bytes == 12288 * kKiB);
  CHECK(heap->skipped_rows == 0);
  REQUIRE(heap->clients.size() == 3);
  checkClient(heap->clients[0], "generic-0", "tegra_mediaserver", "kernel", 0, 1024 * kKiB);
  checkClient(heap->clients[1], "generic-0", "user", "nvargus-daemon", 4877, 8192 * kKiB);
  checkClient(heap->clients[2], "generic-0", "user", "Xorg", 5012, 3072 * kKiB);
}

TEST_CASE("carveout and iovmm row formats agree on the same figure", "[sources]") {
  const auto carveout =
      parseNvmapClients(header() + carveoutRow("user", "Xorg", 9, 2048) + totalLine(2048), "vpr");
  const auto iovmm = parseNvmapClients(header() + row("user", "Xorg", 9, 2048) + totalLine(2048), "iovmm");
  REQUIRE(carveout);
  REQUIRE(iovmm);
  REQUIRE(carveout->clients.size() == 1);
  REQUIRE(iovmm->clients.size() == 1);
  CHECK(carveout->clients[0].bytes == iovmm->clients[0].bytes);
}

TEST_CASE("an empty heap has no clients and a zero total", "[sources]") {
  const auto heap = parseNvmapClients(fixtureFile("nvmap/k49-vpr-clients"), "vpr");
  REQUIRE(heap);
  CHECK(heap->clients.empty());
  CHECK(heap->total_bytes == 0u);
  CHECK(heap->skipped_rows == 0);
}

TEST_CASE("a client name longer than its column still parses", "[sources]") {
  const auto heap =
      parseNvmapClients(header() + row("a-very-long-client-name", "kernel", 0, 16) + totalLine(16), "iovmm");
  REQUIRE(heap);
  REQUIRE(heap->clients.size() == 1);
  checkClient(heap->clients[0], "iovmm", "a-very-long-client-name", "kernel", 0, 16 * kKiB);
}

TEST_CASE("a clients file without its header still parses", "[sources]") {
  const auto heap = parseNvmapClients(row("user", "gem", 4481, 118372) + totalLine(118372), "iovmm");
  REQUIRE(heap);
  CHECK(heap->clients.size() == 1);
  CHECK(heap->total_bytes == 118372 * kKiB);
}

TEST_CASE("rows that cannot be read are counted as skipped, never guessed, and the total stands",
          "[sources]") {
  const std::string over_pib = std::to_string(kMaxPlausibleBytes / 1024 + 1);
  const std::string pad(40, ' ');  // keeps each line as wide as a printed row, so it is read as one
  const std::string malformed[] = {
      "user" + pad + "Xorg     1731",                        // cut before the size
      "user" + pad + "Xorg     abcd        64K",             // pid not a number
      "user" + pad + "Xorg     1731       -64K",             // negative size
      "user" + pad + "Xorg     1731    " + over_pib + "K",   // above a pebibyte
      "user" + pad + "Xorg     1731 99999999999999999999K",  // overflows 64 bits
      "user" + pad + "Xorg 4294967296         64K",          // pid beyond pid_t
      "user" + pad + "Xorg     1731      64KB",              // unknown unit
      pad + pad + "\x01\xff\xfe\x7f garbage",                // binary garbage
      pad + "                    1731         64K",          // no client or process
  };
  std::string text = header() + row("user", "gem", 4481, 100);
  for (const std::string& line : malformed) text += line + "\n";
  text += row("user", "gnome-shell", 2831, 200) + totalLine(300);
  const auto heap = parseNvmapClients(text, "iovmm");
  REQUIRE(heap);
  CHECK(heap->skipped_rows == std::size(malformed));
  REQUIRE(heap->clients.size() == 2);
  checkClient(heap->clients[0], "iovmm", "user", "gem", 4481, 100 * kKiB);
  checkClient(heap->clients[1], "iovmm", "user", "gnome-shell", 2831, 200 * kKiB);
  CHECK(heap->total_bytes == 300 * kKiB);
}

TEST_CASE("a heap without a total line is an error naming the heap", "[sources]") {
  const std::string capture = fixtureFile("nvmap/jetpack-desktop-iovmm-clients");
  const std::string cut = capture.substr(0, capture.find("total"));
  const auto heap = parseNvmapClients(cut, "iovmm");
  REQUIRE_FALSE(heap);
  CHECK(heap.error().message == "nvmap iovmm: no total line");
}

TEST_CASE("empty nvmap input is an error, not an empty heap", "[sources]") {
  const auto heap = parseNvmapClients("", "generic-0");
  REQUIRE_FALSE(heap);
  CHECK(heap.error().message == "nvmap generic-0: no total line");
  CHECK_FALSE(parseNvmapClients(header(), "generic-0"));
}

TEST_CASE("a malformed total line is an error naming the heap", "[sources]") {
  const std::string over_pib = std::to_string(kMaxPlausibleBytes / 1024 + 1);
  const std::string pad(45, ' ');
  const std::string total = GENERATE_COPY(
      "total" + pad + "   abcdefK", "total" + pad + "          K", "total" + pad + "  " + over_pib + "K",
      "total" + pad + "   -141896K", "total" + pad + " 18446744073709551616K",
      "total   extra" + pad + "141896K", "total" + pad + "         141896 K");
  const auto heap = parseNvmapClients(header() + row("user", "gem", 4481, 100) + total + "\n", "iovmm");
  REQUIRE_FALSE(heap);
  CHECK(heap.error().message == "nvmap iovmm: malformed total line");
}

TEST_CASE("a repeated total line is an error, not the last one winning", "[sources]") {
  const auto heap = parseNvmapClients(
      header() + row("user", "gem", 4481, 100) + totalLine(100) + totalLine(999999), "iovmm");
  REQUIRE_FALSE(heap);
  CHECK(heap.error().message == "nvmap iovmm: repeated total line");
}

TEST_CASE("a process name holding newlines cannot forge a row", "[sources]") {
  // comm is chosen by the process (prctl PR_SET_NAME) and nvmap prints it raw: this one splits its own row
  // into three lines, the middle one shaped like a row charging 999999 KiB to pid 1.
  const std::string text = header() + row("user", "gem", 4481, 100) +
                           row("user", "\nu x 1 999999\n", 4482, 64) + row("user", "Xorg", 1731, 200) +
                           totalLine(364);
  const auto heap = parseNvmapClients(text, "iovmm");
  REQUIRE(heap);
  REQUIRE(heap->clients.size() == 2);
  CHECK(heap->clients[0].pid == 4481);
  CHECK(heap->clients[1].pid == 1731);
  CHECK(heap->skipped_rows == 3);
  CHECK(sumOfRows(*heap) == (100 + 200) * kKiB);
}

TEST_CASE("a process name holding newlines cannot forge the total or hide the rows after it", "[sources]") {
  const std::string text =
      header() + row("user", "\ntotal 1K\n", 4482, 64) + row("user", "Xorg", 1731, 200) + totalLine(264);
  const auto heap = parseNvmapClients(text, "iovmm");
  REQUIRE(heap);
  CHECK(heap->total_bytes == 264 * kKiB);
  REQUIRE(heap->clients.size() == 1);
  checkClient(heap->clients[0], "iovmm", "user", "Xorg", 1731, 200 * kKiB);
}

TEST_CASE("lines narrower than any line nvmap prints are skipped pieces, never rows or totals", "[sources]") {
  const auto compact = parseNvmapClients("user gem 4481 100K\ntotal 100K\n", "iovmm");
  REQUIRE_FALSE(compact);
  CHECK(compact.error().message == "nvmap iovmm: no total line");
  const auto heap = parseNvmapClients(header() + "user gem 4481 100K\n" + totalLine(100), "iovmm");
  REQUIRE(heap);
  CHECK(heap->clients.empty());
  CHECK(heap->skipped_rows == 1);
}

TEST_CASE("control characters in a process name are replaced", "[sources]") {
  const auto heap = parseNvmapClients(header() + row("user", "evil\x1b[2J", 66, 4) + totalLine(4), "iovmm");
  REQUIRE(heap);
  REQUIRE(heap->clients.size() == 1);
  CHECK(heap->clients[0].process == "evil?[2J");
}

TEST_CASE("binary garbage instead of a clients file is an error, never a crash", "[sources]") {
  std::mt19937 random(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 200; ++round) {
    std::string garbage(static_cast<std::size_t>(round * 16), '\0');
    for (char& c : garbage) c = static_cast<char>(byte(random));
    CHECK_FALSE(parseNvmapClients(garbage, "iovmm"));
  }
}

TEST_CASE("without a debugfs nvmap directory NvMap is unavailable with a reason, never zero", "[sources]") {
  FixtureTree tree;
  const NvmapSnapshot snapshot = readNvmap(tree.path("debugfs"));
  CHECK_FALSE(snapshot.available);
  CHECK(snapshot.heaps.empty());
  CHECK(snapshot.total_bytes == 0u);
  CHECK(snapshot.reason ==
        "Failed to open " + (tree.path("debugfs") / "nvmap").string() + ": No such file or directory");
}

TEST_CASE("a debugfs root that is not a directory makes NvMap unavailable with a reason", "[sources]") {
  FixtureTree tree(Files{{"debugfs", "not a directory"}});
  const NvmapSnapshot snapshot = readNvmap(tree.path("debugfs"));
  CHECK_FALSE(snapshot.available);
  CHECK(snapshot.reason.find("Not a directory") != std::string::npos);
}

TEST_CASE("an nvmap directory without clients files is unavailable, not zero", "[sources]") {
  FixtureTree tree(
      Files{{"debugfs/nvmap/max_handle_count", "0\n"}, {"debugfs/nvmap/stats/total_memory", "0\n"}});
  const NvmapSnapshot snapshot = readNvmap(tree.path("debugfs"));
  CHECK_FALSE(snapshot.available);
  CHECK(snapshot.reason == "no clients file under " + (tree.path("debugfs") / "nvmap").string());
}

TEST_CASE("readNvmap reads the iovmm heap of a JetPack machine", "[sources]") {
  FixtureTree tree(
      Files{{"debugfs/nvmap/iovmm/clients", fixtureFile("nvmap/jetpack-desktop-iovmm-clients")}});
  const NvmapSnapshot snapshot = readNvmap(tree.path("debugfs"));
  REQUIRE(snapshot.available);
  CHECK(snapshot.reason.empty());
  CHECK(snapshot.total_bytes == 141896 * kKiB);
  REQUIRE(snapshot.heaps.size() == 1);
  CHECK(snapshot.heaps[0].name == "iovmm");
  CHECK(snapshot.heaps[0].clients.size() == 4);
}

TEST_CASE("several heaps are summed by their total lines, in name order", "[sources]") {
  FixtureTree tree(Files{{"debugfs/nvmap/iovmm/clients", fixtureFile("nvmap/k49-iovmm-clients")},
                         {"debugfs/nvmap/generic-0/clients", fixtureFile("nvmap/k49-generic-0-clients")},
                         {"debugfs/nvmap/vpr/clients", fixtureFile("nvmap/k49-vpr-clients")}});
  const NvmapSnapshot snapshot = readNvmap(tree.path("debugfs"));
  REQUIRE(snapshot.available);
  REQUIRE(snapshot.heaps.size() == 3);
  CHECK(snapshot.heaps[0].name == "generic-0");
  CHECK(snapshot.heaps[1].name == "iovmm");
  CHECK(snapshot.heaps[2].name == "vpr");
  CHECK(snapshot.total_bytes == (12288 + 151552 + 0) * kKiB);
  CHECK(snapshot.heaps[0].clients[1].heap == "generic-0");
}

TEST_CASE("files and directories beside the heaps are not heaps", "[sources]") {
  FixtureTree tree(Files{{"debugfs/nvmap/iovmm/clients", fixtureFile("nvmap/jetpack5-iovmm-clients")},
                         {"debugfs/nvmap/iovmm/procrank", "not read\n"},
                         {"debugfs/nvmap/iovmm/allocations", "not read\n"},
                         {"debugfs/nvmap/max_handle_count", "0\n"},
                         {"debugfs/nvmap/pagepool/page_pool_available_pages", "512\n"},
                         {"debugfs/nvmap/stats/collect", "0\n"}});
  std::filesystem::create_directories(tree.path("debugfs/nvmap/empty-heap"));
  const NvmapSnapshot snapshot = readNvmap(tree.path("debugfs"));
  REQUIRE(snapshot.available);
  REQUIRE(snapshot.heaps.size() == 1);
  CHECK(snapshot.heaps[0].name == "iovmm");
  CHECK(snapshot.total_bytes == 327680 * kKiB);
}

TEST_CASE("one malformed heap makes NvMap unavailable rather than a partial total", "[sources]") {
  const std::string capture = fixtureFile("nvmap/k49-generic-0-clients");
  FixtureTree tree(Files{{"debugfs/nvmap/iovmm/clients", fixtureFile("nvmap/k49-iovmm-clients")},
                         {"debugfs/nvmap/generic-0/clients", capture.substr(0, capture.find("total"))}});
  const NvmapSnapshot snapshot = readNvmap(tree.path("debugfs"));
  CHECK_FALSE(snapshot.available);
  CHECK(snapshot.heaps.empty());
  CHECK(snapshot.total_bytes == 0u);
  CHECK(snapshot.reason == (tree.path("debugfs") / "nvmap" / "generic-0" / "clients").string() +
                               ": nvmap generic-0: no total line");
}

TEST_CASE("a clients file that cannot be read makes NvMap unavailable with the read error", "[sources]") {
  FixtureTree tree(Files{{"debugfs/nvmap/iovmm/clients", fixtureFile("nvmap/k49-iovmm-clients")},
                         {"debugfs/nvmap/vpr/clients", header() + std::string(2 << 20, ' ') + totalLine(0)}});
  const NvmapSnapshot snapshot = readNvmap(tree.path("debugfs"));
  CHECK_FALSE(snapshot.available);
  CHECK(snapshot.heaps.empty());
  CHECK(snapshot.total_bytes == 0u);
  CHECK(snapshot.reason == "Failed to read " + (tree.path("debugfs") / "nvmap" / "vpr" / "clients").string() +
                               ": larger than " + std::to_string(1 << 20) + " bytes");
}

TEST_CASE("a FIFO as a heap's clients file makes NvMap unavailable with a reason naming it, at once",
          "[sources]") {
  FixtureTree tree(Files{{"debugfs/nvmap/iovmm/clients", fixtureFile("nvmap/k49-iovmm-clients")},
                         {"debugfs/nvmap/vpr/placeholder", ""}});
  const auto fifo = tree.path("debugfs/nvmap/vpr/clients");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const NvmapSnapshot snapshot = readNvmap(tree.path("debugfs"));
  CHECK_FALSE(snapshot.available);
  CHECK(snapshot.total_bytes == 0u);
  CHECK(snapshot.reason == "Failed to read " + fifo.string() + ": not a regular file (a FIFO)");
}

TEST_CASE("a heap's clients file that is a symlink is refused, not followed out of debugfs", "[sources]") {
  FixtureTree tree(Files{{"elsewhere/clients", fixtureFile("nvmap/k49-iovmm-clients")},
                         {"debugfs/nvmap/iovmm/placeholder", ""}});
  std::filesystem::create_symlink(tree.path("elsewhere/clients"), tree.path("debugfs/nvmap/iovmm/clients"));
  const NvmapSnapshot snapshot = readNvmap(tree.path("debugfs"));
  CHECK_FALSE(snapshot.available);
  CHECK(snapshot.reason.find(tree.path("debugfs/nvmap/iovmm/clients").string()) != std::string::npos);
  CHECK(snapshot.reason.find("a symbolic link") != std::string::npos);
}
