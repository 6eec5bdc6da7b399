#include "core/error.hpp"

#include <fmt/format.h>

namespace rapport::core {

Error Error::BadRequest(std::string_view parameter, std::string_view message) {
  return {Code::kBadRequest, fmt::format("invalid query parameter '{}'", parameter),
          {{std::string(parameter), std::string(message)}}};
}

Error Error::Malformed(std::string_view detail) {
  return {Code::kBadRequest, std::string(detail), {}};
}

Error Error::Invalid(std::string_view field, std::string_view message) {
  return Invalid(std::vector<FieldError>{{std::string(field), std::string(message)}});
}

Error Error::Invalid(std::vector<FieldError> errors) {
  std::string detail = errors.size() == 1
                           ? fmt::format("{}: {}", errors[0].field, errors[0].message)
                           : fmt::format("{} fields are invalid", errors.size());
  return {Code::kInvalid, std::move(detail), std::move(errors)};
}

Error Error::Unauthorized(std::string_view detail) {
  return {Code::kUnauthorized, std::string(detail), {}};
}

Error Error::Forbidden(std::string_view detail) {
  return {Code::kForbidden, std::string(detail), {}};
}

Error Error::NotFound(std::string_view what, std::string_view id) {
  return {Code::kNotFound, fmt::format("{} {} not found", what, id), {}};
}

Error Error::NotFound(std::string_view detail) { return {Code::kNotFound, std::string(detail), {}}; }

Error Error::Conflict(std::string_view detail) { return {Code::kConflict, std::string(detail), {}}; }

Error Error::Conflict(std::string_view field, std::string_view message) {
  return {Code::kConflict, fmt::format("{}: {}", field, message),
          {{std::string(field), std::string(message)}}};
}

Error Error::PreconditionFailed() {
  return {Code::kPreconditionFailed,
          "the resource was changed since it was read (If-Match does not match the ETag)",
          {}};
}

Error Error::TooManyRequests(int retry_after_seconds) {
  Error e{Code::kTooManyRequests, "too many requests; retry later", {}};
  e.retry_after_seconds = retry_after_seconds;
  return e;
}

Error Error::Unavailable(std::string_view detail) {
  return {Code::kUnavailable, std::string(detail), {}};
}

Error Error::Internal() { return {Code::kInternal, "an unexpected error occurred", {}}; }

}  // namespace rapport::core
