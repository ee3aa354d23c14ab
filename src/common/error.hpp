// Errors are values: every fallible operation returns Result<T> (std::expected)
// carrying an Error with a stable code and a human-readable message. Exceptions
// never cross a module boundary.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace hotline {

enum class ErrorCode {
  kInvalidArgument,     // the caller (or the network, or a file) gave bad input
  kNotFound,            // the thing asked for does not exist
  kAlreadyExists,       // a unique thing exists already
  kUnavailable,         // a peer or resource cannot be reached now; may work later
  kFailedPrecondition,  // the system is not in a state where this can be done
  kResourceExhausted,   // a bound was hit (queue full, too many connections)
  kIo,                  // the operating system reported an I/O failure
  kCorruption,          // stored data is not what it must be
  kInternal,            // a bug: an invariant did not hold
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  Error() = default;
  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}

  // "not found: queue 'sales'".
  std::string describe() const;
};

template <typename T>
using Result = std::expected<T, Error>;

// For functions that return nothing on success.
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error(code, std::move(message)));
}

}  // namespace hotline
