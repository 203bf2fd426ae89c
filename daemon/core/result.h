#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace jmem {

// What kind of failure an error is, for a caller that answers each kind differently (the bus layer
// names its error reply by it). The errno stays beside it as the detail of a system call's failure.
enum class ErrorKind {
  kFailed,       // anything else
  kDenied,       // not allowed to (EACCES)
  kBusy,         // another operation holds what this one needs (EBUSY)
  kRefused,      // asked for what jmemd will not do: a decision, not a failure
  kNotFound,     // what it names does not exist (ENOENT)
  kUnavailable,  // this device or build lacks what it needs
};

// The kind a system call's errno means; kFailed for the others.
constexpr ErrorKind errorKindOf(int errno_value) {
  switch (errno_value) {
    case EACCES:
      return ErrorKind::kDenied;
    case EBUSY:
      return ErrorKind::kBusy;
    case ENOENT:
      return ErrorKind::kNotFound;
    case EOPNOTSUPP:
      return ErrorKind::kUnavailable;
    default:
      return ErrorKind::kFailed;
  }
}

// An error as a value: a message in the systemd voice ("Failed to read X: Permission denied"), the
// errno behind it (0 when it did not come from a system call) and its kind, by default the errno's.
// A decision is written by kind: Error{.message = "Refusing to ...", .kind = ErrorKind::kRefused}.
struct Error {
  std::string message;
  int errno_value = 0;
  ErrorKind kind = errorKindOf(errno_value);
};

// The result of an operation that can fail; exceptions stay at the program's edges.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

struct Done {};
using Status = Result<Done>;
inline Status ok() {
  return Done{};
}

}  // namespace jmem
