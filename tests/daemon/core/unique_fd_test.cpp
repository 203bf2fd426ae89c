#include "core/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <utility>

using jmem::UniqueFd;

namespace {

bool isOpen(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

}  // namespace

TEST_CASE("a descriptor is closed when its owner goes out of scope", "[core]") {
  int fd = -1;
  {
    UniqueFd owner(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    fd = owner.get();
    REQUIRE(isOpen(fd));
  }
  CHECK_FALSE(isOpen(fd));
}

TEST_CASE("a moved descriptor is closed once, by its new owner", "[core]") {
  UniqueFd first(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int fd = first.get();
  UniqueFd second(std::move(first));
  CHECK_FALSE(first);
  CHECK(second.get() == fd);
  UniqueFd third;
  third = std::move(second);
  CHECK(third.get() == fd);
  third.reset();
  CHECK_FALSE(isOpen(fd));
}

TEST_CASE("a released descriptor stays open", "[core]") {
  UniqueFd owner(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int fd = owner.release();
  CHECK_FALSE(owner);
  CHECK(isOpen(fd));
  ::close(fd);
}

TEST_CASE("closing now reports close's error and leaves nothing to close", "[core]") {
  UniqueFd owner(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  CHECK(owner.close() == 0);
  CHECK_FALSE(owner);
  CHECK(owner.close() == 0);
  // A descriptor number that was never open: close(2) says EBADF.
  UniqueFd stale(::dup(STDERR_FILENO));
  ::close(stale.get());
  CHECK(stale.close() == EBADF);
}
