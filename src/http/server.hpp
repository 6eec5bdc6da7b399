#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/principal.hpp"
#include "core/result.hpp"
#include "http/metrics.hpp"
#include "http/rate_limiter.hpp"
#include "http/router.hpp"

namespace spdlog {
class logger;
}

namespace rapport::http {

// Keeps the first response to a POST that carried an Idempotency-Key, so a retry gets it
// again instead of doing the work twice. Implementations must be safe to call concurrently.
class IdempotencyStore {
 public:
  struct Saved {
    bool same_request = true;  // false: the key was used with another request body
    bool in_progress = false;  // the first request has not finished yet
    Response response;
  };
  virtual ~IdempotencyStore() = default;
  // Claims `key` for `owner` and this request; nullopt when it was free (the caller then
  // runs the request and calls Finish or Release), else what was saved for it.
  virtual std::optional<Saved> Claim(const std::string& owner, std::string_view key,
                                     std::string_view request_fingerprint) = 0;
  virtual void Finish(const std::string& owner, std::string_view key, const Response& response) = 0;
  // Frees the key after a failure that a retry may fix.
  virtual void Release(const std::string& owner, std::string_view key) = 0;
};

// Turns a bearer token into a principal (Unauthorized when it is not valid).
using Authenticator = std::function<core::Result<core::Principal>(std::string_view token)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  std::size_t threads = 4;         // network threads; they also answer GET requests
  std::size_t write_threads = 64;  // run POST/PATCH/PUT/DELETE (0: on the network threads)
  std::size_t max_body_bytes = 64 << 20;  // the largest body read at all
  // A request is dropped when its handler (or a stream between two writes) takes longer, and
  // a response write that makes no progress for `write_timeout` is abandoned.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(60)};
  std::size_t max_streams = 256;  // streamed responses open at once; more get 503
  double ip_rate = 200, ip_burst = 400;                // per client IP, every request
  double principal_rate = 100, principal_burst = 200;  // per signed-in principal
  double strict_rate = 0.2, strict_burst = 20;         // per client IP, login and signup
  // Peers whose X-Forwarded-For is believed (load balancers). The client IP is then the
  // right-most address in that header that is not itself a trusted proxy.
  std::vector<std::string> trusted_proxies;
};

// The HTTP server: RESTinio on a thread pool, and in front of every route the same chain:
// request id, routing (404/405), rate limits, body size and media type, authentication,
// idempotency, the handler, then one JSON access-log line and metrics.
//
// Streamed responses (Response::stream) run their producer on a thread of their own, write
// it as chunked transfer encoding, and get their access-log line and metrics when the stream
// ends, with the whole duration, the bytes sent and how it ended (see StreamWriter).
class Server {
 public:
  Server(ServerOptions options, const Router& router, Authenticator authenticate,
         IdempotencyStore* idempotency, Metrics& metrics, std::shared_ptr<spdlog::logger> log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; returns the bound port. Throws when the address is taken.
  int Start();
  // Stops accepting, closes open streams (their Write() returns false), lets writes in flight
  // finish, joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rapport::http
