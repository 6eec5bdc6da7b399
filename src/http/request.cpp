#include "http/request.hpp"

#include <strings.h>

namespace rapport::http {

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kHead:
      return "HEAD";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      break;
  }
  return "OTHER";
}

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers_) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return {};
}

std::string_view Request::PathParam(std::string_view name) const {
  for (const auto& [key, value] : path_params_) {
    if (key == name) return value;
  }
  return {};
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
  for (const auto& [key, value] : query_) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace rapport::http
