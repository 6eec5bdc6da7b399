#include "tickets/ticket_routes.hpp"

#include <memory>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::tickets {

namespace {

using http::Request;
using http::Response;

// Comments sort by creation only: oldest first, or newest first with sort=-created_at.
const std::vector<std::string_view> kCommentSortFields = {"created_at"};

Response TicketResponse(int status, const Ticket& ticket) {
  Response response = http::Json(status, ticket.ToJson());
  response.WithHeader("ETag", http::Etag(ticket.version));
  if (status == http::status::kCreated) {
    response.WithHeader("Location", fmt::format("/api/v1/tickets/{}", ticket.id));
  }
  return response;
}

Response TicketOrProblem(const core::Result<Ticket>& ticket, const Request& request) {
  if (!ticket) return http::Problem(ticket.error(), request);
  return TicketResponse(http::status::kOk, *ticket);
}

class Routes {
 public:
  explicit Routes(TicketService& tickets) : tickets_(tickets) {}

  // GET /api/v1/tickets
  Response List(const Request& request) const {
    auto page = http::ParsePage(request, kTicketSortFields, kDefaultTicketSort);
    if (!page) return http::Problem(page.error(), request);
    auto filter = ParseTicketFilter([&](std::string_view name) { return request.Query(name); });
    if (!filter) return http::Problem(filter.error(), request);
    auto result = tickets_.List(request.principal(), *filter, *page);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, result->ToJson());
  }

  // POST /api/v1/tickets
  Response Create(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto input = ParseNewTicket(body);
    if (!input) return http::Problem(input.error(), request);
    auto ticket = tickets_.Create(request.principal(), *input);
    if (!ticket) return http::Problem(ticket.error(), request);
    return TicketResponse(http::status::kCreated, *ticket);
  }

  // GET /api/v1/tickets/:id
  Response Get(const Request& request) const {
    return TicketOrProblem(tickets_.Get(request.principal(), request.PathParam("id")), request);
  }

  // PATCH /api/v1/tickets/:id
  Response Update(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto changes = ParseTicketChanges(body);
    if (!changes) return http::Problem(changes.error(), request);
    return TicketOrProblem(tickets_.Update(request.principal(), request.PathParam("id"), *changes,
                                           http::IfMatchVersion(request)),
                           request);
  }

  // DELETE /api/v1/tickets/:id
  Response Delete(const Request& request) const {
    auto done = tickets_.Delete(request.principal(), request.PathParam("id"),
                                http::IfMatchVersion(request));
    if (!done) return http::Problem(done.error(), request);
    return http::NoContent();
  }

  // POST /api/v1/tickets/:id/resolve
  Response Resolve(const Request& request) const {
    auto resolution = ParseResolution(request.body());
    if (!resolution) return http::Problem(resolution.error(), request);
    return TicketOrProblem(tickets_.Resolve(request.principal(), request.PathParam("id"),
                                            std::move(*resolution), http::IfMatchVersion(request)),
                           request);
  }

  // POST /api/v1/tickets/:id/reopen
  Response Reopen(const Request& request) const {
    if (request.body().find_first_not_of(" \t\r\n") != std::string_view::npos) {
      nlohmann::json body;
      if (auto error = core::ParseJsonObject(request.body(), body)) {
        return http::Problem(*error, request);
      }
      core::JsonReader in(body);  // takes no fields: any is unknown
      if (auto error = in.Finish()) return http::Problem(*error, request);
    }
    return TicketOrProblem(tickets_.Reopen(request.principal(), request.PathParam("id"),
                                           http::IfMatchVersion(request)),
                           request);
  }

  // GET /api/v1/tickets/:id/comments
  Response ListComments(const Request& request) const {
    auto page = http::ParsePage(request, kCommentSortFields, "created_at");
    if (!page) return http::Problem(page.error(), request);
    auto result = tickets_.ListComments(request.principal(), request.PathParam("id"), *page);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, result->ToJson());
  }

  // POST /api/v1/tickets/:id/comments
  Response AddComment(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto text = ParseComment(body);
    if (!text) return http::Problem(text.error(), request);
    auto comment = tickets_.AddComment(request.principal(), request.PathParam("id"),
                                       std::move(*text));
    if (!comment) return http::Problem(comment.error(), request);
    return http::Json(http::status::kCreated, comment->ToJson())
        .WithHeader("Location", fmt::format("/api/v1/tickets/{}/comments", comment->ticket_id));
  }

 private:
  TicketService& tickets_;
};

}  // namespace

void RegisterTicketRoutes(http::Router& router, TicketService& tickets) {
  auto routes = std::make_shared<Routes>(tickets);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  router.Get("/api/v1/tickets", bind(&Routes::List));
  router.Post("/api/v1/tickets", bind(&Routes::Create));
  router.Get("/api/v1/tickets/:id", bind(&Routes::Get));
  router.Patch("/api/v1/tickets/:id", bind(&Routes::Update));
  router.Delete("/api/v1/tickets/:id", bind(&Routes::Delete));
  router.Post("/api/v1/tickets/:id/resolve", bind(&Routes::Resolve));
  router.Post("/api/v1/tickets/:id/reopen", bind(&Routes::Reopen));
  router.Get("/api/v1/tickets/:id/comments", bind(&Routes::ListComments));
  router.Post("/api/v1/tickets/:id/comments", bind(&Routes::AddComment));
}

}  // namespace rapport::tickets
