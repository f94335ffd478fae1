// Error values for expected failures (bad input, missing files, corrupt data).
// Messages name the input, the object, the field and what was wanted, e.g.
//   pods.json: pod "api-7f9" container "web": resources.requests.cpu "12x": not a quantity
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace trimtab {

enum class ErrorCode {
  kInvalidArgument,  // a user-supplied parameter is malformed (flag, query parameter, grammar)
  kParse,            // outside input (file, JSON, metrics text) does not parse
  kNotFound,         // a named thing does not exist
  kIo,               // the operating system refused (open, read, write)
  kCorrupt,          // stored data fails its own checks
  kUnsupported,      // valid input we do not handle
  kInternal,         // a bug in Trimtab
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // Returns this error with "context: " prefixed to its message.
  Error withContext(std::string_view context) const {
    return Error{code, std::string(context) + ": " + message};
  }
};

template <typename T>
using Result = tl::expected<T, Error>;

// Status for operations that return nothing on success.
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

inline tl::unexpected<Error> fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

}  // namespace trimtab
