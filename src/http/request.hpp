#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/principal.hpp"

namespace rapport::http {

enum class Method { kGet, kPost, kPut, kPatch, kDelete, kHead, kOptions, kOther };
std::string_view MethodName(Method method);

// One HTTP request as a handler sees it. The views point into the server's buffers and live
// as long as the request is being handled.
class Request {
 public:
  Method method() const { return method_; }
  std::string_view path() const { return path_; }
  std::string_view body() const { return body_; }
  const std::string& request_id() const { return request_id_; }
  const std::string& client_ip() const { return client_ip_; }
  const core::Principal& principal() const { return principal_; }
  std::chrono::steady_clock::time_point started() const { return started_; }

  // The value of a header (case-insensitive name); empty when absent.
  std::string_view Header(std::string_view name) const;
  // A `:name` segment of the route pattern.
  std::string_view PathParam(std::string_view name) const;
  // A decoded query parameter; nullopt when absent.
  std::optional<std::string_view> Query(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& query() const { return query_; }

 private:
  friend class Server;
  friend class Router;

  Method method_ = Method::kOther;
  std::string_view path_;
  std::string_view body_;
  std::string request_id_;
  std::string client_ip_;
  core::Principal principal_;
  std::chrono::steady_clock::time_point started_;
  std::vector<std::pair<std::string_view, std::string_view>> headers_;
  std::vector<std::pair<std::string_view, std::string_view>> path_params_;
  std::vector<std::pair<std::string, std::string>> query_;
};

}  // namespace rapport::http
