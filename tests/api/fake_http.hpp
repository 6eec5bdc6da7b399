#pragma once

// A small HTTP/1.1 server inside the test process that stands in for an outside service
// (an AI provider, an identity provider, a webhook receiver): it records every request it
// gets and answers with whatever the test's handler returns.
//
// Each connection carries one request (with a Content-Length body) and is closed after the
// reply. Every connection has its own thread, so a held request does not delay others.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api/harness.hpp"

namespace rapport::testing {

struct RecordedRequest {
  std::string method;
  std::string target;  // path and query, as sent
  Headers headers;
  std::string body;

  // The body as JSON. Throws std::runtime_error, quoting the body, when it is not JSON.
  nlohmann::json json() const;
};

struct FakeReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Hold the reply until Release() (then send it) or the server stops (then close the
  // connection without one): a service that does not answer.
  bool hold = false;
};

// A reply with `body` serialised as JSON.
FakeReply JsonReply(const nlohmann::json& body, int status = 200);

class FakeHttpServer {
 public:
  using Handler = std::function<FakeReply(const RecordedRequest&)>;

  // Listens on 127.0.0.1 on a free port. Without a handler, every request gets 404.
  explicit FakeHttpServer(Handler handler = {});
  // Stops listening, closes held connections without a reply, joins every thread.
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const;  // http://127.0.0.1:PORT

  // Replaces the handler for requests that arrive from now on. Thread-safe.
  void SetHandler(Handler handler);
  // Sends the replies of held requests, and of requests held later, at once. Thread-safe.
  void Release();

  // Every request received so far, in arrival order (a request is recorded once its body
  // is complete, before the handler runs). Thread-safe.
  std::vector<RecordedRequest> Requests() const;
  std::size_t RequestCount() const;
  // Waits until at least `count` requests were received; false when the timeout passes.
  bool WaitForRequests(std::size_t count,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  void AcceptLoop();
  void Serve(int fd);

  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};  // readable once the server stops: wakes every poll
  int port_ = 0;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  Handler handler_;                       // guarded by mutex_
  std::vector<RecordedRequest> requests_;  // guarded by mutex_
  bool released_ = false;                 // guarded by mutex_
  bool stopping_ = false;                 // guarded by mutex_
  std::vector<std::thread> connections_;  // guarded by mutex_
  std::thread acceptor_;
};

}  // namespace rapport::testing
