#include "http/server.hpp"

#include <strings.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <restinio/all.hpp>
#include <spdlog/spdlog.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/ids.hpp"
#include "core/text.hpp"

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

struct Server::Impl {
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
  if (response.status >= 500) {
    idempotency->Release(owner, key);
  } else {
    idempotency->Finish(owner, key, response);
  }
  return response;
}

Response Server::Impl::RunHandler(const Route& route, const Request& request) {
  return route.handler(request);
}

void Server::Impl::Send(const restinio::request_handle_t& native, const Request& request,
                        const Route* route, Response response,
                        const RateLimiter::Decision& limit) {
  const double seconds =
      std::chrono::duration<double>(Clock::now() - request.started()).count();
  const std::string route_label = route ? route->pattern : std::string("unmatched");
  const bool redact = route && route->options.redact_log;
  metrics.Record(std::string(MethodName(request.method())), route_label, response.status,
                 seconds);
  log->info(fmt::format(
      R"({{"ts":"{:%Y-%m-%dT%H:%M:%S}Z","level":"info","event":"request","request_id":{},"method":"{}","route":{},"path":{},"status":{},"duration_ms":{:.3f},"ip":"{}","principal":"{}"}})",
      std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()),
      nlohmann::json(request.request_id()).dump(), MethodName(request.method()),
      nlohmann::json(route_label).dump(),
      nlohmann::json(redact ? route->pattern : std::string(request.path()))
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      response.status, seconds * 1000, redact ? "" : request.client_ip(), request.principal().id));

  auto send = [native, response = std::move(response), request_id = request.request_id(),
               limit]() mutable {
    auto builder = native->create_response(restinio::http_status_line_t{
        restinio::http_status_code_t{static_cast<std::uint16_t>(response.status)},
        std::string(ReasonPhrase(response.status))});
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
      .handle_request_timeout(std::chrono::seconds(60))
      .write_http_response_timelimit(std::chrono::seconds(60))
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
  if (self.writers) self.writers->join();  // lets writes in flight finish
  self.io_context.stop();
  for (auto& thread : self.threads) thread.join();
  self.threads.clear();
}

}  // namespace rapport::http
