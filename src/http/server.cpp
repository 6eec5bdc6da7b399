#include "http/server.hpp"

#include <strings.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include <restinio/all.hpp>
#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "core/text.hpp"

namespace rapport::http {
// Tag of the response builder below.
struct RawChunkedOutput {};
}  // namespace rapport::http

namespace restinio {

// A chunked response whose chunk framing the server writes itself. RESTinio's own
// chunked_output_t always ends with the terminating chunk, so a stream that fails half-way
// would look complete to the client; this one can end by closing the connection instead.
// Uses RESTinio 0.6's builder base and header helper, as its own builders do.
template <>
class response_builder_t<rapport::http::RawChunkedOutput> final
    : public base_response_builder_t<response_builder_t<rapport::http::RawChunkedOutput>> {
 public:
  using base_type_t = base_response_builder_t<response_builder_t<rapport::http::RawChunkedOutput>>;
  using base_type_t::base_type_t;
  response_builder_t(response_builder_t&&) = default;

  // Sends `bytes` as they are, the header first on the first call. `last` ends the response;
  // with `close` the connection is closed after it. `done` is called on the connection's
  // thread once the bytes are written or the write failed.
  void Send(std::string bytes, bool last, bool close, write_status_cb_t done) {
    if (!m_connection) {
      if (done) done(make_asio_compaible_error(asio_convertible_error_t::write_was_not_executed));
      return;
    }
    writable_items_container_t parts;
    std::size_t status_line_size = 0;
    if (!header_sent_) {
      header_sent_ = true;
      keep_alive_ = m_header.should_keep_alive();
      m_header.add_field(http_field::transfer_encoding, std::string("chunked"));
      parts.emplace_back(impl::create_header_string(
          m_header, impl::content_length_field_presence_t::skip_content_length));
      status_line_size = calculate_status_line_size();
    }
    if (!bytes.empty()) parts.emplace_back(std::move(bytes));
    write_group_t group{std::move(parts)};
    group.status_line_size(status_line_size);
    if (done) group.after_write_notificator(std::move(done));
    const response_output_flags_t flags{
        last ? response_parts_attr_t::final_parts : response_parts_attr_t::not_final_parts,
        response_connection_attr(keep_alive_ && !close)};
    impl::connection_handle_t connection = last ? std::move(m_connection) : m_connection;
    connection->write_response_parts(m_request_id, flags, std::move(group));
  }

 private:
  bool header_sent_ = false;
  bool keep_alive_ = true;
};

}  // namespace restinio

namespace rapport::http {

namespace {

using Clock = std::chrono::steady_clock;

Method MethodOf(const restinio::http_method_id_t& id) {
  if (id == restinio::http_method_get()) return Method::kGet;
  if (id == restinio::http_method_post()) return Method::kPost;
  if (id == restinio::http_method_put()) return Method::kPut;
  if (id == restinio::http_method_patch()) return Method::kPatch;
  if (id == restinio::http_method_delete()) return Method::kDelete;
  if (id == restinio::http_method_head()) return Method::kHead;
  if (id == restinio::http_method_options()) return Method::kOptions;
  return Method::kOther;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

// Whether `content_type` (maybe with parameters) is one of `allowed`.
bool MediaTypeAllowed(std::string_view content_type, const std::vector<std::string>& allowed) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  for (const std::string& type : allowed) {
    if (media.size() == type.size() && strncasecmp(media.data(), type.data(), type.size()) == 0) {
      return true;
    }
  }
  return false;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0) {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return token;
}

std::string PrincipalKey(const Request& request) {
  const core::Principal& p = request.principal();
  switch (p.kind) {
    case core::Principal::Kind::kUser:
      return "user:" + p.id;
    case core::Principal::Kind::kPortal:
      return "portal:" + p.id;
    case core::Principal::Kind::kAnonymous:
      break;
  }
  return "ip:" + request.client_ip();
}

// The client's address: the peer, or behind trusted proxies the right-most untrusted entry
// of X-Forwarded-For.
std::string ClientIp(std::string peer, std::string_view forwarded,
                     const std::vector<std::string>& trusted) {
  auto is_trusted = [&](std::string_view ip) {
    return std::find(trusted.begin(), trusted.end(), ip) != trusted.end();
  };
  if (forwarded.empty() || !is_trusted(peer)) return peer;
  while (!forwarded.empty()) {
    auto comma = forwarded.rfind(',');
    std::string_view entry = comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1);
    forwarded = comma == std::string_view::npos ? std::string_view() : forwarded.substr(0, comma);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    asio::error_code error;
    auto address = asio::ip::make_address(std::string(entry), error);
    if (error) return peer;  // a malformed header is not believed
    std::string ip = address.to_string();
    if (!is_trusted(ip)) return ip;
    peer = std::move(ip);
  }
  return peer;
}

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == ':')) {
      return false;
    }
  }
  return true;
}

}  // namespace

// What the access log says about a request, kept beyond the request for streams.
struct AccessRecord {
  std::string request_id;
  Method method = Method::kOther;
  std::string route;  // the pattern, or "unmatched"
  std::string path;
  std::string ip;
  std::string principal;
  Clock::time_point started;
};

struct Server::Impl {
  class StreamRun;

  ServerOptions options;
  const Router& router;
  Authenticator authenticate;
  IdempotencyStore* idempotency;
  Metrics& metrics;
  std::shared_ptr<spdlog::logger> log;
  RateLimiter ip_limiter;
  RateLimiter principal_limiter;
  RateLimiter strict_limiter;

  using Traits = restinio::default_traits_t;
  asio::io_context io_context;
  // Requests that change data run here, so a write waiting for its group commit never holds
  // up the network threads, and many writers can share one commit.
  std::unique_ptr<asio::thread_pool> writers;
  std::unique_ptr<restinio::http_server_t<Traits>> server;
  std::vector<std::thread> threads;
  std::atomic<int> bound_port{0};
  bool running = false;

  // Streamed responses in progress, each with its producer thread.
  std::mutex streams_mutex;
  std::list<std::shared_ptr<StreamRun>> streams;  // guarded by streams_mutex
  bool streams_closed = false;                    // guarded by streams_mutex: Stop() began

  Impl(ServerOptions o, const Router& r, Authenticator a, IdempotencyStore* i, Metrics& m,
       std::shared_ptr<spdlog::logger> l)
      : options(std::move(o)),
        router(r),
        authenticate(std::move(a)),
        idempotency(i),
        metrics(m),
        log(std::move(l)),
        ip_limiter(options.ip_rate, options.ip_burst),
        principal_limiter(options.principal_rate, options.principal_burst),
        strict_limiter(options.strict_rate, options.strict_burst) {}

  restinio::request_handling_status_t Handle(restinio::request_handle_t native);
  void Run(const restinio::request_handle_t& native);
  Response Process(const restinio::request_handle_t& native, Request& request,
                   const Route*& route, RateLimiter::Decision& limit);
  Response RunHandler(const Route& route, const Request& request);
  void Send(const restinio::request_handle_t& native, const Request& request,
            const Route* route, Response response, const RateLimiter::Decision& limit);
  // Starts the producer of a streamed response; false when too many streams are open.
  bool StartStream(const restinio::request_handle_t& native, AccessRecord record,
                   Response response, const RateLimiter::Decision& limit);
  void CloseStreams();
  void Log(const AccessRecord& record, int status, double seconds, std::string_view extra);
};

namespace {

// The status line and the headers every response carries.
template <class Builder>
void AppendHeaders(Builder& builder, Response& response, const std::string& request_id,
                   const RateLimiter::Decision& limit) {
  if (!response.content_type.empty()) {
    builder.append_header(restinio::http_field::content_type, response.content_type);
  }
  builder.append_header("X-Request-Id", request_id);
  if (limit.limit > 0) {
    builder.append_header("RateLimit-Limit", std::to_string(limit.limit));
    builder.append_header("RateLimit-Remaining", std::to_string(limit.remaining));
    builder.append_header("RateLimit-Reset", std::to_string(limit.reset_seconds));
  }
  for (auto& [name, value] : response.headers) builder.append_header(name, std::move(value));
}

restinio::http_status_line_t StatusLine(int status) {
  return restinio::http_status_line_t{
      restinio::http_status_code_t{static_cast<std::uint16_t>(status)},
      std::string(ReasonPhrase(status))};
}

}  // namespace

// One streamed response: the StreamWriter its producer writes to, and the producer's thread.
// Write() runs on the producer thread; the write callbacks on a network thread; Close() on
// the thread stopping the server. The builder is used by the producer thread only.
class Server::Impl::StreamRun final : public StreamWriter,
                                      public std::enable_shared_from_this<StreamRun> {
 public:
  enum class End { kCompleted, kClientGone, kAborted, kFailed, kStopped };

  StreamRun(Impl& server, restinio::request_handle_t native, AccessRecord record,
            Response response, RateLimiter::Decision limit)
      : server_(server),
        native_(std::move(native)),
        record_(std::move(record)),
        response_(std::move(response)),
        limit_(limit) {}

  void Start() {
    thread_ = std::thread([self = shared_from_this()] { self->Run(); });
  }
  bool finished() const { return finished_.load(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  bool Write(std::string_view data) override {
    if (data.empty() || !open()) return open();
    std::string chunk = fmt::format("{:X}\r\n", data.size());
    chunk.reserve(chunk.size() + data.size() + 2);
    chunk.append(data).append("\r\n");
    if (!Send(std::move(chunk), /*last=*/false, /*close=*/false)) return false;
    bytes_ += data.size();
    return true;
  }

  bool open() const override {
    std::lock_guard lock(mutex_);
    return open_locked();
  }

  bool WaitFor(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return !open_locked(); });
    return open_locked();
  }

  void Abort() override {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    changed_.notify_all();
  }

  // The server is stopping: every wait ends, every later Write fails.
  void Close() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }

 private:
  bool open_locked() const { return !failed_ && !aborted_ && !stopping_; }

  // Hands `bytes` to the connection and waits until they are written. False when the write
  // failed, timed out, or the stream closed meanwhile.
  bool Send(std::string bytes, bool last, bool close) {
    if (!builder_) {
      builder_.emplace(native_->create_response<RawChunkedOutput>(StatusLine(response_.status)));
      AppendHeaders(*builder_, response_, record_.request_id, limit_);
    }
    {
      std::lock_guard lock(mutex_);
      in_flight_ = true;
    }
    builder_->Send(std::move(bytes), last, close,
                   [self = shared_from_this()](const asio::error_code& error) {
                     std::lock_guard lock(self->mutex_);
                     self->in_flight_ = false;
                     if (error) self->failed_ = true;
                     self->changed_.notify_all();
                   });
    std::unique_lock lock(mutex_);
    // The callback always comes (RESTinio reports dropped writes too) unless the server
    // stops first; the deadline is a guard against waiting forever all the same.
    const auto deadline = server_.options.write_timeout + std::chrono::seconds(10);
    if (!changed_.wait_for(lock, deadline, [&] { return !in_flight_ || stopping_; })) {
      failed_ = true;
    }
    return !in_flight_ && !failed_ && (last || open_locked());
  }

  void Run() {
    End end = End::kCompleted;
    std::string error;
    try {
      (*response_.stream)(*this);
    } catch (const std::exception& e) {
      end = End::kFailed;
      error = e.what();
    }
    bool header_sent = builder_.has_value();
    {
      std::lock_guard lock(mutex_);
      if (end == End::kCompleted) {
        if (stopping_) {
          end = End::kStopped;
        } else if (failed_) {
          end = End::kClientGone;
        } else if (aborted_) {
          end = End::kAborted;
        }
      }
    }
    int status = response_.status;
    if (end == End::kFailed && !header_sent) {
      // Nothing was sent yet, so the client can still get a proper error.
      server_.log->error(nlohmann::json({{"event", "unhandled_error"},
                                         {"request_id", record_.request_id},
                                         {"route", record_.route},
                                         {"error", error}})
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      Request request;
      request.path_ = record_.path;
      request.request_id_ = record_.request_id;
      Response problem = Problem(core::Error::Internal(), request);
      status = problem.status;
      auto builder = native_->create_response(StatusLine(problem.status));
      AppendHeaders(builder, problem, record_.request_id, limit_);
      builder.set_body(std::move(problem.body));
      builder.done();
    } else if (end == End::kCompleted) {
      if (!Send("0\r\n\r\n", /*last=*/true, /*close=*/false)) {
        std::lock_guard lock(mutex_);
        end = stopping_ ? End::kStopped : End::kClientGone;
      }
    } else if (end != End::kClientGone) {
      if (end == End::kFailed) {
        server_.log->error(nlohmann::json({{"event", "stream_failed"},
                                           {"request_id", record_.request_id},
                                           {"route", record_.route},
                                           {"error", error}})
                               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
      // Closing without the final chunk tells the client the body is incomplete.
      if (builder_) {
        builder_->Send(std::string(), /*last=*/true, /*close=*/true, {});
      } else {
        native_->create_response<RawChunkedOutput>(StatusLine(status))
            .Send(std::string(), /*last=*/true, /*close=*/true, {});
      }
    }
    builder_.reset();
    native_.reset();
    static constexpr std::array<std::string_view, 5> kEnds = {"completed", "client_gone",
                                                              "aborted", "failed", "stopped"};
    const double seconds = std::chrono::duration<double>(Clock::now() - record_.started).count();
    server_.Log(record_, status, seconds,
                fmt::format(R"(,"stream":"{}","bytes":{})", kEnds[static_cast<int>(end)], bytes_));
    finished_ = true;
  }

  Impl& server_;
  restinio::request_handle_t native_;
  AccessRecord record_;
  Response response_;
  RateLimiter::Decision limit_;
  std::optional<restinio::response_builder_t<RawChunkedOutput>> builder_;
  uint64_t bytes_ = 0;  // body bytes written (producer thread)
  std::thread thread_;
  std::atomic<bool> finished_{false};

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool in_flight_ = false;  // guarded by mutex_
  bool failed_ = false;     // guarded by mutex_: a write failed or timed out
  bool aborted_ = false;    // guarded by mutex_
  bool stopping_ = false;   // guarded by mutex_
};

restinio::request_handling_status_t Server::Impl::Handle(restinio::request_handle_t native) {
  const Method method = MethodOf(native->header().method());
  const bool read = method == Method::kGet || method == Method::kHead;
  if (!writers || (read && !router.MayBlock(native->header().path()))) {
    Run(native);
  } else {
    asio::post(*writers, [this, native = std::move(native)] { Run(native); });
  }
  return restinio::request_accepted();
}

void Server::Impl::Run(const restinio::request_handle_t& native) {
  Request request;
  request.started_ = Clock::now();
  const auto& header = native->header();
  request.method_ = MethodOf(header.method());
  request.path_ = header.path();
  request.body_ = native->body();
  request.headers_.reserve(header.fields_count());
  header.for_each_field([&](const restinio::http_header_field_t& field) {
    request.headers_.emplace_back(field.name(), field.value());
  });
  std::string_view client_id = request.Header("X-Request-Id");
  request.request_id_ = ValidRequestId(client_id) ? std::string(client_id) : core::NewRequestId();
  request.client_ip_ = ClientIp(native->remote_endpoint().address().to_string(),
                                request.Header("X-Forwarded-For"), options.trusted_proxies);

  const Route* route = nullptr;
  RateLimiter::Decision limit;
  Response response;
  try {
    response = Process(native, request, route, limit);
  } catch (const std::exception& e) {
    log->error(nlohmann::json({{"event", "unhandled_error"},
                               {"request_id", request.request_id()},
                               {"route", route ? route->pattern : std::string()},
                               {"error", e.what()}})
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    response = Problem(core::Error::Internal(), request);
  }
  Send(native, request, route, std::move(response), limit);
}

Response Server::Impl::Process(const restinio::request_handle_t& native, Request& request,
                               const Route*& route, RateLimiter::Decision& limit) {
  // Relaxed: `,` and `:` may appear unencoded (sort=status,-name, timestamps). As in forms,
  // `+` means a space, so an offset like +02:00 is sent as %2B02:00.
  auto query = restinio::try_parse_query<restinio::parse_query_traits::relaxed>(
      native->header().query());
  if (!query) return Problem(core::Error::Malformed("the query string is malformed"), request);
  for (const auto& [key, value] : *query) {
    // Text goes to the database as is: it must be UTF-8 without NULs (PostgreSQL refuses both).
    if (!core::IsValidUtf8(value) || value.find('\0') != std::string_view::npos) {
      return Problem(core::Error::BadRequest(key, "must be UTF-8 text"), request);
    }
    request.query_.emplace_back(key, value);
  }

  Router::Match match = router.Find(request.method(), request.path(), request);
  if (!match.route) {
    if (match.allowed.empty()) {
      return Problem(core::Error::NotFound(fmt::format("no resource at {}", request.path())),
                     request);
    }
    Response response = Problem(
        core::Error{core::Code::kMethodNotAllowed,
                    fmt::format("{} is not allowed here; allowed: {}", MethodName(request.method()),
                                match.allowed),
                    {}},
        request);
    return std::move(response).WithHeader("Allow", match.allowed);
  }
  route = match.route;
  const RouteOptions& options = route->options;

  limit = (options.strict_rate_limit ? strict_limiter : ip_limiter).Take(request.client_ip());
  if (!limit.allowed) {
    return Problem(core::Error::TooManyRequests(limit.retry_after_seconds), request);
  }

  if (request.body().size() > options.max_body_bytes) {
    return Problem(core::Error{core::Code::kPayloadTooLarge,
                               fmt::format("the request body is larger than {} bytes",
                                           options.max_body_bytes),
                               {}},
                   request);
  }
  if (!request.body().empty() && !MediaTypeAllowed(request.Header("Content-Type"), options.consumes)) {
    return Problem(core::Error{core::Code::kUnsupportedMediaType,
                               fmt::format("Content-Type must be {}", fmt::join(options.consumes, " or ")),
                               {}},
                   request);
  }

  if (options.access != Access::kPublic) {
    auto token = BearerToken(request.Header("Authorization"));
    if (!token) return Problem(core::Error::Unauthorized("a bearer token is required"), request);
    auto principal = authenticate(*token);
    if (!principal) return Problem(principal.error(), request);
    const bool portal = principal->kind == core::Principal::Kind::kPortal;
    if (portal != (options.access == Access::kPortal)) {
      return Problem(core::Error::Unauthorized(portal ? "a portal token is not valid here"
                                                      : "this endpoint takes a portal token"),
                     request);
    }
    request.principal_ = std::move(*principal);
    auto own = principal_limiter.Take(PrincipalKey(request));
    if (own.allowed && own.remaining < limit.remaining) limit = own;
    if (!own.allowed) {
      limit = own;
      return Problem(core::Error::TooManyRequests(own.retry_after_seconds), request);
    }
  }

  std::string_view key = request.Header("Idempotency-Key");
  if (request.method() != Method::kPost || key.empty() || idempotency == nullptr) {
    return RunHandler(*route, request);
  }
  if (key.size() > 255) {
    return Problem(core::Error::Invalid("Idempotency-Key", "must be at most 255 characters"),
                   request);
  }
  const std::string owner = PrincipalKey(request);
  std::string fingerprint = fmt::format("{} {}\n{}", MethodName(request.method()), request.path(),
                                        request.body());
  auto saved = idempotency->Claim(owner, key, fingerprint);
  if (saved) {
    if (!saved->same_request) {
      return Problem(core::Error::Invalid("Idempotency-Key",
                                          "was already used with a different request"),
                     request);
    }
    if (saved->in_progress) {
      return Problem(core::Error::Conflict("a request with this Idempotency-Key is in progress"),
                     request);
    }
    return std::move(saved->response).WithHeader("Idempotent-Replayed", "true");
  }
  Response response;
  try {
    response = RunHandler(*route, request);
  } catch (...) {
    idempotency->Release(owner, key);
    throw;
  }
  if (response.status >= 500 || response.stream) {
    idempotency->Release(owner, key);  // a stream's body is not known here, so not replayable
  } else {
    idempotency->Finish(owner, key, response);
  }
  return response;
}

Response Server::Impl::RunHandler(const Route& route, const Request& request) {
  return route.handler(request);
}

// Appends the current UTC second as "YYYY-MM-DDTHH:MM:SS", formatted once per second and
// thread.
void AppendUtcSecond(std::string& out) {
  thread_local std::time_t cached_second = -1;
  thread_local char cached_text[32] = {};
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (now != cached_second) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::strftime(cached_text, sizeof cached_text, "%Y-%m-%dT%H:%M:%S", &utc);
    cached_second = now;
  }
  out += cached_text;
}

// Appends `seconds` as milliseconds with three decimals ("12.345"), without floating-point
// formatting.
void AppendMilliseconds(std::string& out, double seconds) {
  const long long micros = std::max(0LL, std::llround(seconds * 1e6));
  out += fmt::format_int(micros / 1000).c_str();
  const auto fraction = static_cast<int>(micros % 1000);
  out += '.';
  out += static_cast<char>('0' + fraction / 100);
  out += static_cast<char>('0' + fraction / 10 % 10);
  out += static_cast<char>('0' + fraction % 10);
}

void Server::Impl::Log(const AccessRecord& record, int status, double seconds,
                       std::string_view extra) {
  metrics.Record(MethodName(record.method), record.route, status, seconds);
  // Written as text, not through a JSON document: this runs for every request. Strings a
  // client chose are escaped (invalid UTF-8 replaced); the address and principal id are ours.
  std::string line;
  line.reserve(320 + extra.size());
  line += R"({"ts":")";
  AppendUtcSecond(line);
  line += R"(Z","level":"info","event":"request","request_id":)";
  core::AppendJsonString(line, record.request_id);
  line += R"(,"method":")";
  line += MethodName(record.method);
  line += R"(","route":)";
  core::AppendJsonString(line, record.route);
  line += R"(,"path":)";
  core::AppendJsonString(line, record.path);
  line += R"(,"status":)";
  line += fmt::format_int(status).c_str();
  line += R"(,"duration_ms":)";
  AppendMilliseconds(line, seconds);
  line += R"(,"ip":")";
  line += record.ip;
  line += R"(","principal":")";
  line += record.principal;
  line += '"';
  line += extra;
  line += '}';
  log->info(line);
}

bool Server::Impl::StartStream(const restinio::request_handle_t& native, AccessRecord record,
                               Response response, const RateLimiter::Decision& limit) {
  std::lock_guard lock(streams_mutex);
  // Threads of finished streams are joined here, so they never pile up.
  for (auto it = streams.begin(); it != streams.end();) {
    if ((*it)->finished()) {
      (*it)->Join();
      it = streams.erase(it);
    } else {
      ++it;
    }
  }
  if (streams_closed || streams.size() >= options.max_streams) return false;
  auto run = std::make_shared<StreamRun>(*this, native, std::move(record), std::move(response),
                                         limit);
  streams.push_back(run);
  run->Start();
  return true;
}

void Server::Impl::CloseStreams() {
  std::list<std::shared_ptr<StreamRun>> open;
  {
    std::lock_guard lock(streams_mutex);
    streams_closed = true;
    open.swap(streams);
  }
  for (auto& run : open) run->Close();
  for (auto& run : open) run->Join();
}

void Server::Impl::Send(const restinio::request_handle_t& native, const Request& request,
                        const Route* route, Response response,
                        const RateLimiter::Decision& limit) {
  // A route marked redact_log keeps its path and the client's address out of the log.
  const bool redact = route && route->options.redact_log;
  AccessRecord record{request.request_id(),
                      request.method(),
                      route ? route->pattern : std::string("unmatched"),
                      redact ? route->pattern : std::string(request.path()),
                      redact ? std::string() : request.client_ip(),
                      request.principal().id,
                      request.started()};
  if (response.stream) {
    if (StartStream(native, record, std::move(response), limit)) return;
    response = Problem(core::Error::Unavailable("too many streams are open; retry later"), request);
    response.WithHeader("Retry-After", "5");
  }
  Log(record, response.status,
      std::chrono::duration<double>(Clock::now() - request.started()).count(), "");

  auto send = [native, response = std::move(response), request_id = request.request_id(),
               limit]() mutable {
    auto builder = native->create_response(StatusLine(response.status));
    AppendHeaders(builder, response, request_id, limit);
    builder.set_body(std::move(response.body));
    builder.done();
  };
  if (response.delay.count() <= 0) {
    send();
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(io_context, response.delay);
  timer->async_wait([timer, send = std::move(send)](const asio::error_code&) mutable { send(); });
}

Server::Server(ServerOptions options, const Router& router, Authenticator authenticate,
               IdempotencyStore* idempotency, Metrics& metrics,
               std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_unique<Impl>(std::move(options), router, std::move(authenticate),
                                   idempotency, metrics, std::move(log))) {}

Server::~Server() { Stop(); }

int Server::Start() {
  Impl& self = *impl_;
  restinio::server_settings_t<Impl::Traits> settings;
  settings.address(self.options.host)
      .port(static_cast<std::uint16_t>(self.options.port))
      .request_handler([&self](restinio::request_handle_t req) { return self.Handle(req); })
      .read_next_http_message_timelimit(std::chrono::seconds(60))
      .handle_request_timeout(self.options.request_timeout)
      .write_http_response_timelimit(self.options.write_timeout)
      .concurrent_accepts_count(self.options.threads)
      .separate_accept_and_create_connect(true)
      // Bodies past this are cut off while they arrive (the connection is closed) instead of
      // being held in memory; routes answer 413 for anything over their own, smaller limit.
      .incoming_http_msg_limits(
          restinio::incoming_http_msg_limits_t{}.max_body_size(self.options.max_body_bytes))
      .acceptor_post_bind_hook([&self](asio::ip::tcp::acceptor& acceptor) {
        self.bound_port = acceptor.local_endpoint().port();
      });
  self.server = std::make_unique<restinio::http_server_t<Impl::Traits>>(
      restinio::external_io_context(self.io_context), std::move(settings));
  self.server->open_sync();
  self.running = true;
  if (self.options.write_threads > 0) {
    self.writers = std::make_unique<asio::thread_pool>(self.options.write_threads);
  }
  for (std::size_t i = 0; i < self.options.threads; ++i) {
    self.threads.emplace_back([&self] { self.io_context.run(); });
  }
  return self.bound_port;
}

void Server::Stop() {
  Impl& self = *impl_;
  if (!self.running) return;
  self.running = false;
  std::promise<void> closed;
  asio::post(self.io_context, [&] {
    try {
      self.server->close_sync();
    } catch (...) {
      // Closing is best effort: the io_context stops next either way.
    }
    closed.set_value();
  });
  closed.get_future().wait_for(std::chrono::seconds(10));
  self.CloseStreams();  // producers see Write() fail and return; their threads are joined
  if (self.writers) self.writers->join();  // lets writes in flight finish
  self.io_context.stop();
  for (auto& thread : self.threads) thread.join();
  self.threads.clear();
}

}  // namespace rapport::http
