#include "notifications/notification_routes.hpp"

#include <memory>

#include "core/json_reader.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::notifications {

namespace {

using http::Request;
using http::Response;

// The actions take no body; an empty one, or `{}`, is fine.
std::optional<core::Error> CheckEmptyBody(const Request& request) {
  if (request.body().find_first_not_of(" \t\r\n") == std::string_view::npos) return std::nullopt;
  nlohmann::json body;
  if (auto error = core::ParseJsonObject(request.body(), body)) return error;
  core::JsonReader in(body);  // takes no fields: any is unknown
  return in.Finish();
}

class Routes {
 public:
  explicit Routes(NotificationService& notifications) : notifications_(notifications) {}

  // GET /api/v1/notifications
  Response List(const Request& request) const {
    auto page = http::ParsePage(request, kNotificationSortFields, kDefaultNotificationSort);
    if (!page) return http::Problem(page.error(), request);
    auto filter =
        ParseNotificationFilter([&](std::string_view name) { return request.Query(name); });
    if (!filter) return http::Problem(filter.error(), request);
    auto result = notifications_.List(request.principal(), *filter, *page);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, result->ToJson());
  }

  // GET /api/v1/notifications/:id
  Response Get(const Request& request) const {
    auto found = notifications_.Get(request.principal(), request.PathParam("id"));
    if (!found) return http::Problem(found.error(), request);
    return http::Json(http::status::kOk, found->ToJson());
  }

  // POST /api/v1/notifications/:id/read
  Response MarkRead(const Request& request) const {
    if (auto error = CheckEmptyBody(request)) return http::Problem(*error, request);
    auto marked = notifications_.MarkRead(request.principal(), request.PathParam("id"));
    if (!marked) return http::Problem(marked.error(), request);
    return http::Json(http::status::kOk, marked->ToJson());
  }

  // POST /api/v1/notifications/read-all
  Response MarkAllRead(const Request& request) const {
    if (auto error = CheckEmptyBody(request)) return http::Problem(*error, request);
    auto marked = notifications_.MarkAllRead(request.principal());
    if (!marked) return http::Problem(marked.error(), request);
    return http::Json(http::status::kOk, {{"updated", *marked}});
  }

  // GET /api/v1/notifications/stream
  Response Stream(const Request& request) const {
    // Browsers resend the id of the last event in Last-Event-ID when they reconnect; a first
    // connection may name one in ?last_event_id.
    std::optional<std::string_view> last_event_id;
    if (std::string_view header = request.Header("Last-Event-ID"); !header.empty()) {
      last_event_id = header;
    } else if (auto query = request.Query("last_event_id"); query && !query->empty()) {
      last_event_id = *query;
    }
    auto subscription = notifications_.Subscribe(request.principal(), last_event_id);
    if (!subscription) return http::Problem(subscription.error(), request);
    // The producer is copied around as a std::function; the subscription moves into Pump
    // when the stream starts, and goes back to the service the moment Pump returns.
    auto held = std::make_shared<std::optional<NotificationService::Subscription>>(
        std::move(*subscription));
    NotificationService& service = notifications_;
    Response response = http::Stream(
        http::status::kOk, "text/event-stream", [held, &service](http::StreamWriter& out) {
          if (!held->has_value()) return;
          NotificationService::Subscription mine = std::move(**held);
          held->reset();
          EventSink sink{[&out](std::string_view data) { return out.Write(data); },
                         [&out] { return out.open(); }};
          service.Pump(std::move(mine), sink);
        });
    response.WithHeader("Cache-Control", "no-cache");
    response.WithHeader("X-Accel-Buffering", "no");  // proxies must not hold events back
    return response;
  }

 private:
  NotificationService& notifications_;
};

}  // namespace

void RegisterNotificationRoutes(http::Router& router, NotificationService& notifications) {
  auto routes = std::make_shared<Routes>(notifications);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  router.Get("/api/v1/notifications", bind(&Routes::List));
  router.Get("/api/v1/notifications/stream", bind(&Routes::Stream));
  router.Post("/api/v1/notifications/read-all", bind(&Routes::MarkAllRead));
  router.Get("/api/v1/notifications/:id", bind(&Routes::Get));
  router.Post("/api/v1/notifications/:id/read", bind(&Routes::MarkRead));
}

}  // namespace rapport::notifications
