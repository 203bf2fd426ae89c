#include "core/file_reader.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <string>

#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

namespace {

// A bound Unix socket at `path`; closed when the test ends, its file stays.
struct BoundSocket {
  explicit BoundSocket(const std::filesystem::path& path) {
    fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  }
  ~BoundSocket() { ::close(fd); }
  int fd = -1;
};

}  // namespace

TEST_CASE("a regular file is read whole", "[core]") {
  FixtureTree tree(Files{{"proc/meminfo", "MemTotal: 1 kB\n"}});
  const auto text = readKernelFile(tree.path("proc/meminfo"));
  REQUIRE(text);
  CHECK(*text == "MemTotal: 1 kB\n");
}

TEST_CASE("a file larger than the bound is an error that names it, not a truncation", "[core]") {
  FixtureTree tree(Files{{"proc/meminfo", std::string(100, 'x')}});
  const auto text = readKernelFile(tree.path("proc/meminfo"), 99);
  REQUIRE_FALSE(text);
  CHECK(text.error().message ==
        "Failed to read " + tree.path("proc/meminfo").string() + ": larger than 99 bytes");
}

TEST_CASE("a FIFO where a kernel file should be is refused at once, without waiting for a writer", "[core]") {
  FixtureTree tree(Files{{"proc/placeholder", ""}});
  const auto fifo = tree.path("proc/meminfo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto start = std::chrono::steady_clock::now();
  const auto text = readKernelFile(fifo);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(text);
  CHECK(text.error().message == "Failed to read " + fifo.string() + ": not a regular file (a FIFO)");
  CHECK(text.error().errno_value == EINVAL);
  CHECK(took < std::chrono::seconds(1));
}

TEST_CASE("a FIFO is refused through readFileAt relative to a held directory too", "[core]") {
  FixtureTree tree(Files{{"proc/42/comm", "worker\n"}});
  REQUIRE(::mkfifo(tree.path("proc/42/status").c_str(), 0600) == 0);
  const int dir = ::open(tree.path("proc/42").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(dir >= 0);
  std::string buffer = "stale";
  const auto read = readFileAt(dir, "status", buffer, 4096, "42/status", FinalSymlink::kRefuse);
  ::close(dir);
  REQUIRE_FALSE(read);
  CHECK(read.error().message == "Failed to read 42/status: not a regular file (a FIFO)");
  CHECK(buffer.empty());
}

TEST_CASE("a directory where a kernel file should be is an error that says so", "[core]") {
  FixtureTree tree(Files{{"proc/pressure/memory/inner", ""}});
  const auto text = readKernelFile(tree.path("proc/pressure/memory"));
  REQUIRE_FALSE(text);
  CHECK(text.error().message == "Failed to read " + tree.path("proc/pressure/memory").string() +
                                    ": not a regular file (a directory)");
}

TEST_CASE("a socket where a kernel file should be is an error that says so", "[core]") {
  FixtureTree tree(Files{{"proc/placeholder", ""}});
  const auto path = tree.path("proc/meminfo");
  BoundSocket socket(path);
  const auto text = readKernelFile(path);
  REQUIRE_FALSE(text);
  CHECK(text.error().message == "Failed to open " + path.string() + ": not a regular file (a socket)");
}

TEST_CASE("a device node reached through a followed link is refused unread", "[core]") {
  FixtureTree tree(Files{{"etc/placeholder", ""}});
  std::filesystem::create_symlink("/dev/zero", tree.path("etc/zero"));
  const auto text = readWholeFile(tree.path("etc/zero"), 16);
  REQUIRE_FALSE(text);
  CHECK(text.error().message ==
        "Failed to read " + tree.path("etc/zero").string() + ": not a regular file (a character device)");
}

TEST_CASE("a kernel file's final symlink is refused, while other readers may follow one", "[core]") {
  FixtureTree tree(Files{{"elsewhere/secret", "the host's file\n"}});
  std::filesystem::create_directories(tree.path("proc"));
  std::filesystem::create_symlink(tree.path("elsewhere/secret"), tree.path("proc/meminfo"));
  const auto kernel = readKernelFile(tree.path("proc/meminfo"));
  REQUIRE_FALSE(kernel);
  CHECK(kernel.error().message ==
        "Failed to open " + tree.path("proc/meminfo").string() + ": not a regular file (a symbolic link)");
  CHECK(kernel.error().errno_value == ELOOP);
  const auto followed = readWholeFile(tree.path("proc/meminfo"));
  REQUIRE(followed);
  CHECK(*followed == "the host's file\n");
}

TEST_CASE("a missing file keeps its errno, so that callers can tell absence from refusal", "[core]") {
  FixtureTree tree;
  const auto text = readKernelFile(tree.path("proc/pressure/memory"));
  REQUIRE_FALSE(text);
  CHECK(text.error().errno_value == ENOENT);
}

TEST_CASE("procfs files are regular files and pass the check", "[core]") {
  const auto text = readKernelFile("/proc/self/status", 1 << 16);
  REQUIRE(text);
  CHECK(text->find("Name:") != std::string::npos);
}

TEST_CASE("every kind of file is described by what it is", "[core]") {
  CHECK(std::string(describeFileType(S_IFIFO)) == "a FIFO");
  CHECK(std::string(describeFileType(S_IFBLK)) == "a block device");
  CHECK(std::string(describeFileType(S_IFREG)) == "a regular file");
}
