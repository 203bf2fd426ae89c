#pragma once

#include <string>
#include <utility>
#include <variant>

namespace jmem {

// An error as a value: a message in the systemd voice ("Failed to read X: Permission denied")
// and the errno behind it, 0 when it did not come from a system call.
struct Error {
  std::string message;
  int errno_value = 0;
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
