#include "http/response.hpp"

#include <strings.h>

#include <charconv>

namespace rapport::http {

std::string_view Response::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return {};
}

Response Json(int status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response NoContent() {
  Response response;
  response.status = status::kNoContent;
  response.content_type.clear();
  return response;
}

Response Text(int status, std::string content_type, std::string body) {
  Response response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

Response Stream(int status, std::string content_type, StreamProducer producer) {
  Response response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.stream = std::make_shared<StreamProducer>(std::move(producer));
  return response;
}

int StatusOf(core::Code code) {
  using core::Code;
  switch (code) {
    case Code::kBadRequest:
      return 400;
    case Code::kInvalid:
      return 422;
    case Code::kUnauthorized:
      return 401;
    case Code::kForbidden:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kMethodNotAllowed:
      return 405;
    case Code::kConflict:
      return 409;
    case Code::kPreconditionFailed:
      return 412;
    case Code::kPayloadTooLarge:
      return 413;
    case Code::kUnsupportedMediaType:
      return 415;
    case Code::kTooManyRequests:
      return 429;
    case Code::kUnavailable:
      return 503;
    case Code::kBadGateway:
      return 502;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

namespace {

std::string_view TitleOf(int status) {
  switch (status) {
    case 400:
      return "Bad request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition failed";
    case 413:
      return "Payload too large";
    case 415:
      return "Unsupported media type";
    case 422:
      return "Validation failed";
    case 429:
      return "Too many requests";
    case 502:
      return "Bad gateway";
    case 503:
      return "Service unavailable";
    default:
      return "Internal server error";
  }
}

std::string_view TypeOf(int status) {
  switch (status) {
    case 400:
      return "bad-request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not-found";
    case 405:
      return "method-not-allowed";
    case 409:
      return "conflict";
    case 412:
      return "precondition-failed";
    case 413:
      return "payload-too-large";
    case 415:
      return "unsupported-media-type";
    case 422:
      return "validation-failed";
    case 429:
      return "rate-limited";
    case 502:
      return "bad-gateway";
    case 503:
      return "unavailable";
    default:
      return "internal";
  }
}

}  // namespace

Response Problem(const core::Error& error, const Request& request) {
  const int status = StatusOf(error.code);
  nlohmann::json doc = {
      {"type", std::string("/problems/") + std::string(TypeOf(status))},
      {"title", TitleOf(status)},
      {"status", status},
      {"detail", error.detail},
      {"instance", request.path()},
      {"request_id", request.request_id()},
  };
  if (!error.errors.empty()) {
    auto& list = doc["errors"] = nlohmann::json::array();
    for (const auto& e : error.errors) list.push_back({{"field", e.field}, {"message", e.message}});
  }
  Response response = Json(status, doc);
  response.content_type = "application/problem+json";
  if ((status == 429 || status == 503) && error.retry_after_seconds > 0) {
    response.WithHeader("Retry-After", std::to_string(error.retry_after_seconds));
  }
  if (status == 401) response.WithHeader("WWW-Authenticate", "Bearer");
  return response;
}

std::string Etag(int64_t version) { return "\"" + std::to_string(version) + "\""; }

std::optional<int64_t> IfMatchVersion(const Request& request) {
  std::string_view value = request.Header("If-Match");
  if (value.empty() || value == "*") return std::nullopt;  // `*`: any current version
  if (value.starts_with("W/")) value.remove_prefix(2);
  if (value.size() < 3 || value.front() != '"' || value.back() != '"') return -1;
  value = value.substr(1, value.size() - 2);
  int64_t version = -1;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), version);
  if (ec != std::errc() || ptr != value.data() + value.size()) return -1;
  return version;
}

}  // namespace rapport::http
