#pragma once
// The result of one task of a batch: a value or the exception that replaced it.
// Thread-safety: a plain value with one owner.

#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

namespace chat {

template <class R>
class Outcome {
 public:
  static Outcome success(R value) { return Outcome(std::in_place_index<0>, std::move(value)); }
  static Outcome failure(std::exception_ptr error) { return Outcome(std::in_place_index<1>, std::move(error)); }

  bool has_value() const noexcept { return v_.index() == 0; }
  // Rethrows the error when there is no value.
  const R& value() const {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  std::exception_ptr error() const noexcept { return has_value() ? nullptr : std::get<1>(v_); }

 private:
  template <std::size_t I, class T>
  Outcome(std::in_place_index_t<I> i, T&& t) : v_(i, std::forward<T>(t)) {}
  std::variant<R, std::exception_ptr> v_;
};

template <>
class Outcome<void> {
 public:
  static Outcome success() { return Outcome(nullptr); }
  static Outcome failure(std::exception_ptr error) { return Outcome(std::move(error)); }

  bool has_value() const noexcept { return !error_; }
  void value() const {
    if (error_) std::rethrow_exception(error_);
  }
  std::exception_ptr error() const noexcept { return error_; }

 private:
  explicit Outcome(std::exception_ptr e) : error_(std::move(e)) {}
  std::exception_ptr error_;
};

}  // namespace chat
