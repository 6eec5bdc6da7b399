#include "email/email_routes.hpp"

#include <memory>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "core/time.hpp"
#include "email/tracking.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::email {

namespace {

using http::Request;
using http::Response;

constexpr std::size_t kMaxInboundBytes = 25 << 20;  // a raw message with attachments

Response EmailResponse(int status, const Email& email) {
  Response response = http::Json(status, email.ToJson());
  response.WithHeader("ETag", http::Etag(email.version));
  if (status == http::status::kAccepted) {
    response.WithHeader("Location", fmt::format("/api/v1/emails/{}", email.id));
  }
  return response;
}

// ?from and ?to of a period: RFC 3339 timestamps or dates (from inclusive, to exclusive).
core::Result<std::optional<std::string>> PeriodBound(const Request& request,
                                                     std::string_view name) {
  auto value = request.Query(name);
  if (!value) return std::optional<std::string>();
  auto parsed = core::ParseDateOrTimestamp(*value);
  if (!parsed) {
    return core::Error::BadRequest(name, "must be an RFC 3339 timestamp or a date (YYYY-MM-DD)");
  }
  return std::optional<std::string>(core::FormatTimestamp(*parsed));
}

class Routes {
 public:
  explicit Routes(EmailService& emails) : emails_(emails) {}

  // POST /api/v1/emails
  Response Send(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body))
      return http::Problem(*error, request);
    auto input = ParseNewEmail(body);
    if (!input) return http::Problem(input.error(), request);
    auto email = emails_.Send(request.principal(), *input);
    if (!email) return http::Problem(email.error(), request);
    return EmailResponse(http::status::kAccepted, *email);
  }

  // GET /api/v1/emails
  Response List(const Request& request) const {
    auto page = http::ParsePage(request, kEmailSortFields, kDefaultEmailSort);
    if (!page) return http::Problem(page.error(), request);
    auto filter = ParseEmailFilter([&](std::string_view name) { return request.Query(name); });
    if (!filter) return http::Problem(filter.error(), request);
    auto result = emails_.List(request.principal(), *filter, *page);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, std::move(*result).ToJson());
  }

  // GET /api/v1/emails/:id
  Response Get(const Request& request) const {
    auto email = emails_.Get(request.principal(), request.PathParam("id"));
    if (!email) return http::Problem(email.error(), request);
    return EmailResponse(http::status::kOk, *email);
  }

  // GET /api/v1/emails/:id/engagement
  Response Engagement(const Request& request) const {
    auto engagement = emails_.GetEngagement(request.principal(), request.PathParam("id"));
    if (!engagement) return http::Problem(engagement.error(), request);
    return http::Json(http::status::kOk, engagement->ToJson());
  }

  // GET /api/v1/emails/stats
  Response Stats(const Request& request) const {
    auto from = PeriodBound(request, "from");
    if (!from) return http::Problem(from.error(), request);
    auto to = PeriodBound(request, "to");
    if (!to) return http::Problem(to.error(), request);
    if (*from && *to && **to <= **from) {
      return http::Problem(core::Error::BadRequest("to", "must be after from"), request);
    }
    auto stats = emails_.Stats(request.principal(), *from, *to);
    if (!stats) return http::Problem(stats.error(), request);
    return http::Json(http::status::kOk, stats->ToJson());
  }

  // POST /api/v1/emails/inbound
  Response Inbound(const Request& request) const {
    if (auto allowed = emails_.CheckInboundSecret(request.Header("Authorization")); !allowed) {
      return http::Problem(allowed.error(), request);
    }
    auto result = emails_.ReceiveInbound(request.body());
    if (!result) return http::Problem(result.error(), request);
    auto optional = [](const std::optional<std::string>& v) {
      return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    return http::Json(result->matched ? http::status::kOk : http::status::kAccepted,
                      {{"matched", result->matched},
                       {"duplicate", result->duplicate},
                       {"email_id", optional(result->email_id)},
                       {"reply_id", optional(result->reply_id)},
                       {"matched_by", optional(result->matched_by)}});
  }

  // GET /t/o/:token.gif — the same answer for every token, known or not.
  Response Pixel(const Request& request) const {
    emails_.RecordOpen(request.PathParam("token"), request.Header("User-Agent"),
                       request.client_ip());
    Response response = http::Text(http::status::kOk, "image/gif", std::string(PixelGif()));
    response.WithHeader("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0");
    return response;
  }

  // GET /t/c/:token — 302 to the recorded URL, 404 for anything else.
  Response Click(const Request& request) const {
    auto url = emails_.Click(request.PathParam("token"), request.Header("User-Agent"),
                             request.client_ip());
    if (!url) return http::Problem(url.error(), request);
    Response response;
    response.status = 302;
    response.content_type.clear();
    response.WithHeader("Location", *url);
    response.WithHeader("Cache-Control", "no-store");
    // The tracking URL (with its token) is not passed on to the destination.
    response.WithHeader("Referrer-Policy", "no-referrer");
    return response;
  }

 private:
  EmailService& emails_;
};

}  // namespace

void RegisterEmailRoutes(http::Router& router, EmailService& emails) {
  auto routes = std::make_shared<Routes>(emails);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  router.Post("/api/v1/emails", bind(&Routes::Send));
  router.Get("/api/v1/emails", bind(&Routes::List));
  router.Get("/api/v1/emails/stats", bind(&Routes::Stats));
  router.Get("/api/v1/emails/:id", bind(&Routes::Get));
  router.Get("/api/v1/emails/:id/engagement", bind(&Routes::Engagement));
  router.Post("/api/v1/emails/inbound", bind(&Routes::Inbound),
              {.access = http::Access::kPublic,
               .consumes = {"message/rfc822"},
               .max_body_bytes = kMaxInboundBytes});
  const http::RouteOptions tracking{.access = http::Access::kPublic, .redact_log = true};
  router.Get("/t/o/:token.gif", bind(&Routes::Pixel), tracking);
  router.Get("/t/c/:token", bind(&Routes::Click), tracking);
}

}  // namespace rapport::email
