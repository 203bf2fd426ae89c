#include "core/result.h"

#include <catch2/catch.hpp>
#include <cerrno>

using namespace jmem;

TEST_CASE("an error from a system call takes the kind its errno means", "[core]") {
  CHECK(Error{"Failed to open x: Permission denied", EACCES}.kind == ErrorKind::kDenied);
  CHECK(Error{"Failed to lock x: Device or resource busy", EBUSY}.kind == ErrorKind::kBusy);
  CHECK(Error{"Failed to open x: No such file or directory", ENOENT}.kind == ErrorKind::kNotFound);
  CHECK(Error{"Failed to freeze x: Operation not supported", EOPNOTSUPP}.kind == ErrorKind::kUnavailable);
  CHECK(Error{"Failed to write x: Input/output error", EIO}.kind == ErrorKind::kFailed);
}

TEST_CASE("an error without an errno is a failure unless it names its kind", "[core]") {
  CHECK(Error{"Failed to parse x"}.kind == ErrorKind::kFailed);
  const Error refused{.message = "Refusing to throttle x: it is essential", .kind = ErrorKind::kRefused};
  CHECK(refused.kind == ErrorKind::kRefused);
  CHECK(refused.errno_value == 0);
}

TEST_CASE("a result carries its error's kind to the caller", "[core]") {
  const Status status = Error{.message = "Refusing to release x", .kind = ErrorKind::kRefused};
  REQUIRE_FALSE(status);
  CHECK(status.error().kind == ErrorKind::kRefused);
}
