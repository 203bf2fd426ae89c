#include "sources/atomic_file.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

namespace {

constexpr uid_t kNobody = 65534;

// A boot configuration with bytes a text-mode copy would change.
const std::string kOriginal = std::string("TIMEOUT 30\r\nDEFAULT primary\n") + '\0' + "\xff trailing";
const std::string kNewContent = "TIMEOUT 30\nDEFAULT primary\nLABEL primary\n  LINUX /boot/Image\n";

std::string contentOf(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

struct stat statOf(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info;
}

std::set<std::string> namesIn(const std::filesystem::path& directory) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

// Runs `body` in a forked child and returns the string it returned: for what must not touch the test
// process (a lowered file size limit, dropped privileges). Fails after a 30 s deadline.
std::string inChild(const std::function<std::string()>& body) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string result;
    try {
      result = body();
    } catch (...) {
      result = "exception in the child";
    }
    std::string_view left = result;
    while (!left.empty()) {
      const ssize_t n = ::write(fds[1], left.data(), left.size());
      if (n <= 0) break;
      left.remove_prefix(static_cast<std::size_t>(n));
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{fds[0], POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&pfd, 1, static_cast<int>(left.count())) : 0;
    if (ready == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      ::close(fds[0]);
      FAIL("the child did not finish within 30 s");
    }
    if (ready < 0) continue;  // EINTR
    char buffer[4096];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return out;
}

std::string messageOf(const Status& status) {
  return status ? std::string("ok") : status.error().message;
}

}  // namespace

TEST_CASE("an atomic write replaces the content and keeps a byte-exact backup", "[sources]") {
  FixtureTree tree(Files{{"boot/extlinux/extlinux.conf", kOriginal}});
  const auto path = tree.path("boot/extlinux/extlinux.conf");
  const auto backup = tree.path("boot/extlinux/extlinux.conf.jmem-backup");
  const Status written = writeFileAtomically(path, kNewContent, backup);
  REQUIRE(written);
  CHECK(contentOf(path) == kNewContent);
  CHECK(contentOf(backup) == kOriginal);
  // No temporary file is left next to either.
  CHECK(namesIn(tree.path("boot/extlinux")) ==
        std::set<std::string>{"extlinux.conf", "extlinux.conf.jmem-backup"});
}

TEST_CASE("an atomic write keeps the original's mode, on the new file and on the backup", "[sources]") {
  const mode_t mode = GENERATE(mode_t{0640}, mode_t{0604}, mode_t{0755});
  FixtureTree tree(Files{{"extlinux.conf", kOriginal}});
  const auto path = tree.path("extlinux.conf");
  REQUIRE(::chmod(path.c_str(), mode) == 0);
  REQUIRE(writeFileAtomically(path, kNewContent, tree.path("extlinux.conf.bak")));
  CHECK((statOf(path).st_mode & 07777) == mode);
  CHECK((statOf(tree.path("extlinux.conf.bak")).st_mode & 07777) == mode);
  CHECK(S_ISREG(statOf(path).st_mode));
}

TEST_CASE("an atomic write keeps the original's owner, on the new file and on the backup", "[sources]") {
  FixtureTree tree(Files{{"extlinux.conf", kOriginal}});
  const auto path = tree.path("extlinux.conf");
  const bool root = ::geteuid() == 0;
  const uid_t uid = root ? kNobody : ::geteuid();
  const gid_t gid = root ? kNobody : ::getegid();
  if (root) REQUIRE(::chown(path.c_str(), uid, gid) == 0);
  REQUIRE(writeFileAtomically(path, kNewContent, tree.path("extlinux.conf.bak")));
  CHECK(statOf(path).st_uid == uid);
  CHECK(statOf(path).st_gid == gid);
  CHECK(statOf(tree.path("extlinux.conf.bak")).st_uid == uid);
  CHECK(statOf(tree.path("extlinux.conf.bak")).st_gid == gid);
}

TEST_CASE("an existing backup is replaced by the current content", "[sources]") {
  FixtureTree tree(Files{{"extlinux.conf", kOriginal}, {"extlinux.conf.bak", "an older backup\n"}});
  REQUIRE(writeFileAtomically(tree.path("extlinux.conf"), kNewContent, tree.path("extlinux.conf.bak")));
  CHECK(contentOf(tree.path("extlinux.conf.bak")) == kOriginal);
  // A second write backs up the first one's content.
  REQUIRE(writeFileAtomically(tree.path("extlinux.conf"), "third\n", tree.path("extlinux.conf.bak")));
  CHECK(contentOf(tree.path("extlinux.conf.bak")) == kNewContent);
  CHECK(contentOf(tree.path("extlinux.conf")) == "third\n");
}

TEST_CASE("when the backup cannot be written the original is untouched", "[sources]") {
  FixtureTree tree(Files{{"boot/extlinux.conf", kOriginal}, {"boot/not-a-directory", "x"}});
  const auto path = tree.path("boot/extlinux.conf");
  const auto backup = tree.path("boot/not-a-directory/extlinux.conf.bak");
  const Status written = writeFileAtomically(path, kNewContent, backup);
  REQUIRE_FALSE(written);
  CHECK(written.error().message ==
        "Failed to back up " + path.string() + " to " + backup.string() + ": Not a directory");
  CHECK(written.error().errno_value == ENOTDIR);
  CHECK(contentOf(path) == kOriginal);
  CHECK(namesIn(tree.path("boot")) == std::set<std::string>{"extlinux.conf", "not-a-directory"});
}

TEST_CASE("when the directory is not writable the original is untouched and the backup is made",
          "[sources]") {
  FixtureTree tree(Files{{"boot/extlinux/extlinux.conf", kOriginal}, {"backup/.keep", ""}});
  const auto path = tree.path("boot/extlinux/extlinux.conf");
  const auto backup = tree.path("backup/extlinux.conf.bak");
  const bool root = ::geteuid() == 0;
  std::string message;
  if (root) {
    // Root writes anywhere: the write runs in a child that has become nobody, for whom the tree is
    // readable, the backup directory writable and boot/extlinux not.
    REQUIRE(::chmod(tree.path().c_str(), 0755) == 0);
    REQUIRE(::chmod(tree.path("boot").c_str(), 0755) == 0);
    REQUIRE(::chmod(tree.path("boot/extlinux").c_str(), 0755) == 0);
    REQUIRE(::chmod(tree.path("backup").c_str(), 0777) == 0);
    REQUIRE(::chown(path.c_str(), kNobody, kNobody) == 0);
    message = inChild([&] {
      if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
        return std::string("cannot become nobody: ") + std::strerror(errno);
      }
      return messageOf(writeFileAtomically(path, kNewContent, backup));
    });
  } else {
    REQUIRE(::chmod(tree.path("boot/extlinux").c_str(), 0555) == 0);
    message = messageOf(writeFileAtomically(path, kNewContent, backup));
    ::chmod(tree.path("boot/extlinux").c_str(), 0755);
  }
  CHECK(message == "Failed to write " + path.string() + ": Permission denied");
  CHECK(contentOf(path) == kOriginal);
  CHECK(contentOf(backup) == kOriginal);
  CHECK(namesIn(tree.path("boot/extlinux")) == std::set<std::string>{"extlinux.conf"});
}

TEST_CASE("a write that fails midway leaves the original untouched and no temporary file", "[sources]") {
  FixtureTree tree(Files{{"boot/extlinux.conf", kOriginal}});
  const auto path = tree.path("boot/extlinux.conf");
  const auto backup = tree.path("boot/extlinux.conf.bak");
  const std::string large(64 * 1024, 'x');
  // A file size limit makes the write fail the way a full disk does, after the backup was written.
  const std::string message = inChild([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{4096, 4096};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return std::string("cannot lower RLIMIT_FSIZE");
    return messageOf(writeFileAtomically(path, large, backup));
  });
  CHECK(message == "Failed to write " + path.string() + ": File too large");
  CHECK(contentOf(path) == kOriginal);
  CHECK(contentOf(backup) == kOriginal);
  CHECK(namesIn(tree.path("boot")) == std::set<std::string>{"extlinux.conf", "extlinux.conf.bak"});
}

TEST_CASE("a missing original is an error naming it, and no backup is made", "[sources]") {
  FixtureTree tree(Files{{"boot/.keep", ""}});
  const auto path = tree.path("boot/extlinux.conf");
  const Status written = writeFileAtomically(path, kNewContent, tree.path("boot/extlinux.conf.bak"));
  REQUIRE_FALSE(written);
  CHECK(written.error().message == "Failed to open " + path.string() + ": No such file or directory");
  CHECK(namesIn(tree.path("boot")) == std::set<std::string>{".keep"});
}

TEST_CASE("a symbolic link is refused rather than replaced by a file", "[sources]") {
  FixtureTree tree(Files{{"boot/extlinux.conf", kOriginal}});
  const auto link = tree.path("boot/link.conf");
  std::filesystem::create_symlink("extlinux.conf", link);
  const Status written = writeFileAtomically(link, kNewContent, tree.path("boot/link.conf.bak"));
  REQUIRE_FALSE(written);
  CHECK(written.error().message == "Refusing to replace " + link.string() + ": it is a symbolic link");
  CHECK(S_ISLNK(statOf(link).st_mode));
  CHECK(contentOf(tree.path("boot/extlinux.conf")) == kOriginal);
}

TEST_CASE("a directory in place of the file is refused", "[sources]") {
  FixtureTree tree(Files{{"boot/extlinux.conf/.keep", ""}});
  const auto path = tree.path("boot/extlinux.conf");
  const Status written = writeFileAtomically(path, kNewContent, tree.path("boot/extlinux.conf.bak"));
  REQUIRE_FALSE(written);
  CHECK(written.error().message == "Refusing to replace " + path.string() + ": not a regular file");
}

TEST_CASE("backing a file up onto itself is refused", "[sources]") {
  FixtureTree tree(Files{{"extlinux.conf", kOriginal}});
  const auto path = tree.path("extlinux.conf");
  const Status written = writeFileAtomically(path, kNewContent, path);
  REQUIRE_FALSE(written);
  CHECK(written.error().message ==
        "Refusing to back up " + path.string() + " onto itself (" + path.string() + ")");
  CHECK(contentOf(path) == kOriginal);
}
