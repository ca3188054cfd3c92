#pragma once
// Errors are values: g++ 12 has no std::expected, so the library returns Result<T>.
#include <string>
#include <utility>
#include <variant>

namespace portkit {

struct Error {
  std::string message;  // names the bad part, ready to follow "portkit: <command>: "
  int sys_errno = 0;    // errno of the failing syscall, 0 for bad input
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const Error& error() const { return std::get<1>(state_); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> state_;
};

inline Error make_error(std::string message, int sys_errno = 0) {
  return Error{std::move(message), sys_errno};
}

}  // namespace portkit
