#pragma once
// Expected failures (a missing file, an absent tool, output that did not parse) travel as values;
// exceptions are reserved for bugs and are caught once in main.
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace dh {

struct Error {
  std::string message;
};

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Expected(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() {
    if (!ok()) throw std::logic_error("Expected::value() on an error: " + error());
    return std::get<0>(v_);
  }
  const T& value() const {
    if (!ok()) throw std::logic_error("Expected::value() on an error: " + error());
    return std::get<0>(v_);
  }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const std::string& error() const {
    static const std::string none;
    return ok() ? none : std::get<1>(v_).message;
  }
  T value_or(T fallback) const { return ok() ? std::get<0>(v_) : std::move(fallback); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Expected<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace dh
