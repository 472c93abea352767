// How lib/ reports a failure, in the manner of LevelDB's Status and
// simdjson's error codes: a function that can fail returns a Result<T> (a
// value, or an Error) or a Result<> (nothing, or an Error). An Error has a
// code, which tells the caller what to do about it (a program exits 2 for
// invalid_argument, its usage, and 1 for the rest), and a message that
// says what failed and where ("okx.raw: No such file or directory").
//
// Results are [[nodiscard]]: a failure cannot be dropped by accident.
//
// Not failures, and so not Results: outcomes that classify a normal answer
// (FrameResult, ApplyResult, OrderTracker::Outcome, SimExchange::Answer),
// the reason an order is refused (order_problem, the risk checks: it goes
// out in the `exec`), and streams (LineInput, LineOutput, RecordSource,
// Journal) whose next(), flush() or append() says false and keep the
// reason for error(), as LevelDB's Iterator keeps its status().
//
// (ot::Status is the venue status event of core/events.h; hence the name.)
#pragma once

#include <cassert>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ot {

enum class ErrorCode : std::uint8_t {
  invalid_argument,  // a malformed option, spec, URI or configuration
  not_found,         // a file, directory or name that is not there
  io_error,          // the system refused: open, read, write, bind
  corrupt,           // data that does not parse
  unavailable,       // a server or venue that cannot be reached
  refused,           // the other side said no (a database, a venue)
};

inline std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
      return "invalid argument";
    case ErrorCode::not_found:
      return "not found";
    case ErrorCode::io_error:
      return "I/O error";
    case ErrorCode::corrupt:
      return "corrupt";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::refused:
      return "refused";
  }
  return "error";
}

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The caller's mistake (a program's usage) rather than the world's.
  bool is_usage() const { return code_ == ErrorCode::invalid_argument; }
  // The same error with "<context>: " before its message.
  Error within(std::string_view context) const& {
    return Error(code_, std::string(context) + ": " + message_);
  }

 private:
  ErrorCode code_;
  std::string message_;
};

// An error of the system call that set `err` (errno), as "<context>: <why>":
// not_found for ENOENT, invalid_argument for EINVAL, io_error else.
inline Error os_error(std::string_view context, int err) {
  const ErrorCode code = err == ENOENT   ? ErrorCode::not_found
                         : err == EINVAL ? ErrorCode::invalid_argument
                                         : ErrorCode::io_error;
  return Error(code, std::string(context) + ": " + std::strerror(err));
}

template <class T = void>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : e_(std::move(e)) {}  // NOLINT: implicit on purpose
  bool ok() const { return !e_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(!ok());
    return *e_;
  }

 private:
  std::optional<Error> e_;
};

}  // namespace ot
