#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace rapport::oidc {

struct HttpReply {
  long status = 0;
  std::string body;
};

// Outgoing HTTP(S) over libcurl, one request per call. Every call is bounded by
// `timeout` (connecting included); redirects are not followed; only http and
// https are spoken; replies over 1 MiB are cut off as a failure. Transport
// failures (refused, timed out, TLS) are BadGateway errors whose detail names
// `what` but never a URL's query, a body or a header. Thread-safe (each call
// uses its own handle).
class HttpClient {
 public:
  explicit HttpClient(std::chrono::milliseconds timeout);

  core::Result<HttpReply> Get(const std::string& url, std::string_view what) const;
  // POSTs `form` as application/x-www-form-urlencoded.
  // `basic_user`/`basic_password`, when the user is not empty, are sent as HTTP
  // Basic credentials.
  core::Result<HttpReply> PostForm(const std::string& url,
                                   const std::vector<std::pair<std::string, std::string>>& form,
                                   std::string_view what, const std::string& basic_user = {},
                                   const std::string& basic_password = {}) const;

  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  core::Result<HttpReply> Perform(const std::string& url, const std::string* post_body,
                                  std::string_view what, const std::string& basic_user,
                                  const std::string& basic_password) const;
  std::chrono::milliseconds timeout_;
};

// application/x-www-form-urlencoded encoding of one value (RFC 6749 appendix
// B); with `space_as_plus` false, a space is %20 (for URLs built for a
// browser).
std::string FormEncode(std::string_view value, bool space_as_plus = true);

}  // namespace rapport::oidc
