#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "http/request.hpp"

namespace rapport::http {

namespace status {
constexpr int kOk = 200;
constexpr int kCreated = 201;
constexpr int kAccepted = 202;
constexpr int kNoContent = 204;
}  // namespace status

struct Response {
  int status = status::kOk;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent this long after the handler returns, without holding a server thread (used to
  // slow down failed logins).
  std::chrono::milliseconds delay{0};

  Response& WithHeader(std::string name, std::string value) & {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Response&& WithHeader(std::string name, std::string value) && {
    headers.emplace_back(std::move(name), std::move(value));
    return std::move(*this);
  }
  // The value of a header set on this response; empty when not set.
  std::string_view Header(std::string_view name) const;
};

// A JSON response. Invalid UTF-8 in strings is replaced, never thrown.
Response Json(int status, const nlohmann::json& body);
Response NoContent();
Response Text(int status, std::string content_type, std::string body);

// The problem+json document for `error` (RFC 9457). The one place an Error becomes a status.
Response Problem(const core::Error& error, const Request& request);
int StatusOf(core::Code code);

// Strong ETag for a resource version, and the If-Match precondition of a request: nullopt
// when the request has no If-Match, else the version it names (-1 when it names none).
std::string Etag(int64_t version);
std::optional<int64_t> IfMatchVersion(const Request& request);

}  // namespace rapport::http
