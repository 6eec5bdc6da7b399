#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rapport::core {

// What went wrong, independent of transport. http/problem.cpp is the one place that maps
// a Code to an HTTP status.
enum class Code {
  kBadRequest,          // malformed input or a bad query parameter
  kInvalid,             // well-formed but fails validation
  kUnauthorized,        // no or bad credentials
  kForbidden,           // authenticated but not allowed
  kNotFound,            // missing, or hidden from this principal
  kMethodNotAllowed,
  kConflict,            // duplicate key, illegal state transition
  kPreconditionFailed,  // If-Match no longer matches
  kPayloadTooLarge,
  kUnsupportedMediaType,
  kTooManyRequests,
  kUnavailable,   // a dependency is not configured or not reachable
  kBadGateway,    // an upstream service failed
  kInternal,
};

struct FieldError {
  std::string field;
  std::string message;
};

struct Error {
  Code code = Code::kInternal;
  std::string detail;
  std::vector<FieldError> errors;
  int retry_after_seconds = 0;  // for kTooManyRequests

  static Error BadRequest(std::string_view parameter, std::string_view message);
  static Error Malformed(std::string_view detail);
  static Error Invalid(std::string_view field, std::string_view message);
  static Error Invalid(std::vector<FieldError> errors);
  static Error Unauthorized(std::string_view detail = "authentication required");
  static Error Forbidden(std::string_view detail = "not allowed for this principal");
  static Error NotFound(std::string_view what, std::string_view id);
  static Error NotFound(std::string_view detail);
  static Error Conflict(std::string_view detail);
  static Error Conflict(std::string_view field, std::string_view message);
  static Error PreconditionFailed();
  static Error TooManyRequests(int retry_after_seconds);
  static Error Unavailable(std::string_view detail);
  static Error Internal();
};

}  // namespace rapport::core
