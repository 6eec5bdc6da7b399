#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <variant>
#include <vector>

#include "ai/provider.hpp"

namespace rapport::ai {

// Why a call got no HTTP reply.
enum class TransportFailure {
  kTimeout,   // no complete reply within the total timeout (or no connection within its own)
  kConnect,   // the host could not be resolved or refused the connection, TLS failed
  kTooLarge,  // the reply was larger than the limit
  kOther,     // anything else libcurl reports
};

// "timeout", "connect", "too_large", "other": for logs.
std::string_view FailureName(TransportFailure failure);
// A message for the client that names the failure and nothing about the host.
std::string FailureDetail(TransportFailure failure, std::chrono::milliseconds timeout);

// Sends provider calls over libcurl with hard timeouts: the only HTTP client of the module.
// No redirects are followed, only http and https are spoken, and proxies come from the usual
// environment variables (http_proxy, https_proxy, no_proxy). Thread-safe: each call runs on
// its own easy handle, taken from a small pool so connections (and TLS sessions) are reused.
class HttpClient {
 public:
  HttpClient(std::chrono::milliseconds connect_timeout, std::chrono::milliseconds timeout,
             std::size_t max_reply_bytes = 4 << 20);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `call`. The reply whatever its status, or why there was none. Never throws for
  // network problems, never blocks past the timeout.
  std::variant<HttpReply, TransportFailure> Post(const HttpCall& call);

  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  void* Acquire();
  void Release(void* handle);

  const std::chrono::milliseconds connect_timeout_;
  const std::chrono::milliseconds timeout_;
  const std::size_t max_reply_bytes_;
  std::mutex mutex_;
  std::vector<void*> idle_;  // guarded by mutex_: CURL easy handles
};

}  // namespace rapport::ai
