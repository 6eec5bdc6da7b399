#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
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

// Writes the body of a streamed response while it is being sent: export files that never
// fit in memory, and long-lived streams such as Server-Sent Events. The server hands one to
// the response's producer (see Stream()), which runs on a thread of its own.
//
// Contract:
// - Write() sends `data` as the next part of the body (one HTTP/1.1 chunk) and blocks until
//   the server has handed it to the socket. At most one part is buffered per stream, so a
//   slow client slows the producer down (back-pressure) and memory stays constant. Batch
//   small pieces (a few KiB to 64 KiB per Write); an empty `data` sends nothing.
// - Write() returns false, sending nothing, once the stream is over: the client went away,
//   a write failed or timed out (a client that reads nothing for 60 s is dropped), Abort()
//   was called, or the server is stopping. After false the producer should return promptly;
//   further calls keep returning false.
// - A disconnected client is noticed only by writing: the next Write() fails, or the one
//   after it when the first still fit the socket buffers. The server also closes a stream
//   that sends nothing for 60 s. So a producer that may wait for data (SSE) must write at
//   least every few seconds, for example an SSE comment line ":\n\n" as a heartbeat, and
//   should wait in slices of at most a second (WaitFor) so that server shutdown and closed
//   streams are noticed within a second. With a heartbeat every H seconds a vanished client
//   is noticed within about 2H seconds.
// - The response ends when the producer returns: normally (the final chunk is sent, the
//   connection stays usable), or by throwing or calling Abort(), in which case the connection
//   is closed without the final chunk, so the client sees an incomplete response rather than
//   a complete but truncated one. Status and headers are sent before the first part and
//   cannot change afterwards.
// - The producer must not keep references to the Request (it outlives the handler); copy
//   what it needs into the closure. It may run concurrently with other requests' handlers.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  virtual bool Write(std::string_view data) = 0;
  // Whether Write() may still succeed (false once the stream is over, as above).
  virtual bool open() const = 0;
  // Sleeps up to `timeout`, waking early when the stream closes (server stopping, Abort()).
  // Returns open(). For producers that poll a source of events between writes.
  virtual bool WaitFor(std::chrono::milliseconds timeout) = 0;
  // Ends the response as failed (see above); later Writes return false.
  virtual void Abort() = 0;
};
using StreamProducer = std::function<void(StreamWriter&)>;

struct Response {
  int status = status::kOk;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent this long after the handler returns, without holding a server thread (used to
  // slow down failed logins).
  std::chrono::milliseconds delay{0};
  // When set, the body is not `body` but whatever this producer writes (see StreamWriter).
  // Streamed responses are never saved for Idempotency-Key replays.
  std::shared_ptr<StreamProducer> stream;

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
// A streamed response: status and headers now, the body from `producer` (StreamWriter).
Response Stream(int status, std::string content_type, StreamProducer producer);

// The problem+json document for `error` (RFC 9457). The one place an Error becomes a status.
Response Problem(const core::Error& error, const Request& request);
int StatusOf(core::Code code);

// Strong ETag for a resource version, and the If-Match precondition of a request: nullopt
// when the request has no If-Match, else the version it names (-1 when it names none).
std::string Etag(int64_t version);
std::optional<int64_t> IfMatchVersion(const Request& request);

}  // namespace rapport::http
