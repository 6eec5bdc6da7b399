#include "portal/portal_routes.hpp"

#include <memory>

#include <fmt/format.h>

#include "auth/user.hpp"
#include "core/json_reader.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::portal {

namespace {

using http::Request;
using http::Response;

// Comments sort by creation only, as on the staff side.
const std::vector<std::string_view> kCommentSortFields = {"created_at"};
constexpr std::string_view kDefaultMeetingSort = "-scheduled_at";

nlohmann::json TokensJson(const auth::TokenPair& tokens) {
  return {{"access_token", tokens.access_token},
          {"refresh_token", tokens.refresh_token},
          {"token_type", "Bearer"},
          {"expires_in", tokens.expires_in}};
}

Response TicketResponse(int status, const tickets::Ticket& ticket) {
  Response response = http::Json(status, TicketJson(ticket));
  response.WithHeader("ETag", http::Etag(ticket.version));
  if (status == http::status::kCreated) {
    response.WithHeader("Location", fmt::format("/api/v1/portal/tickets/{}", ticket.id));
  }
  return response;
}

// Reads a body holding only the string field `key` (verify, refresh and logout).
core::Result<std::string> ReadTokenBody(const Request& request, std::string_view key) {
  nlohmann::json body;
  if (auto error = core::ParseJsonObject(request.body(), body)) return *error;
  core::JsonReader in(body);
  auto token = in.Text(key, {.min = 1, .max = 512, .trim = false});
  in.Require(key, token);
  if (auto error = in.Finish()) return *error;
  return *token.value;
}

class Routes {
 public:
  Routes(PortalService& portal, tickets::TicketService& tickets,
         interactions::InteractionService& interactions)
      : portal_(portal), tickets_(tickets), interactions_(interactions) {}

  // POST /api/v1/portal/signup
  Response Signup(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto input = ParseSignup(body);
    if (!input) return http::Problem(input.error(), request);
    if (auto done = portal_.Signup(*input); !done) return http::Problem(done.error(), request);
    // The same answer whether or not the address has an account.
    return http::Json(http::status::kAccepted,
                      {{"status", "verification_sent"},
                       {"detail", "If the address can take mail, a message with what to do next "
                                  "is on its way to it."}});
  }

  // POST /api/v1/portal/verify
  Response Verify(const Request& request) const {
    auto token = ReadTokenBody(request, "token");
    if (!token) return http::Problem(token.error(), request);
    auto account = portal_.Verify(*token);
    if (!account) return http::Problem(account.error(), request);
    return http::Json(http::status::kOk, AccountJson(*account, std::nullopt));
  }

  // POST /api/v1/portal/login
  Response Login(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    core::JsonReader in(body);
    auto email = in.Text("email", {.min = 1, .max = 254});
    auto password = in.Text("password", {.min = 1, .max = auth::kMaxPasswordLength, .trim = false});
    in.Require("email", email);
    in.Require("password", password);
    if (auto error = in.Finish()) return http::Problem(*error, request);
    auto outcome = portal_.Login(*email.value, *password.value, request.client_ip());
    if (!outcome.result) {
      Response response = http::Problem(outcome.result.error(), request);
      response.delay = outcome.delay;
      return response;
    }
    auto& [tokens, account] = *outcome.result;
    nlohmann::json out = TokensJson(tokens);
    out["account"] = AccountJson(account, std::nullopt);
    return http::Json(http::status::kOk, out);
  }

  // POST /api/v1/portal/refresh
  Response Refresh(const Request& request) const {
    auto token = ReadTokenBody(request, "refresh_token");
    if (!token) return http::Problem(token.error(), request);
    auto tokens = portal_.Refresh(*token);
    if (!tokens) return http::Problem(tokens.error(), request);
    return http::Json(http::status::kOk, TokensJson(*tokens));
  }

  // POST /api/v1/portal/logout
  Response Logout(const Request& request) const {
    auto token = ReadTokenBody(request, "refresh_token");
    if (!token) return http::Problem(token.error(), request);
    portal_.Logout(*token);
    return http::NoContent();
  }

  // GET /api/v1/portal/me
  Response Me(const Request& request) const {
    auto me = portal_.Me(request.principal());
    if (!me) return http::Problem(me.error(), request);
    return http::Json(http::status::kOk, AccountJson(me->first, me->second));
  }

  // GET /api/v1/portal/tickets
  Response ListTickets(const Request& request) const {
    auto page = http::ParsePage(request, tickets::kTicketSortFields, tickets::kDefaultTicketSort);
    if (!page) return http::Problem(page.error(), request);
    auto filter = ParseTicketFilter([&](std::string_view name) { return request.Query(name); });
    if (!filter) return http::Problem(filter.error(), request);
    auto result = tickets_.List(request.principal(), *filter, *page);
    if (!result) return http::Problem(result.error(), request);
    core::Page out;
    for (const auto& ticket : result->data) out.data.push_back(TicketJson(ticket));
    out.next_cursor = std::move(result->next_cursor);
    out.total = result->total;
    return http::Json(http::status::kOk, std::move(out).ToJson());
  }

  // POST /api/v1/portal/tickets
  Response CreateTicket(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto input = tickets::ParseNewPortalTicket(body);
    if (!input) return http::Problem(input.error(), request);
    auto ticket = tickets_.Create(request.principal(), *input);
    if (!ticket) return http::Problem(ticket.error(), request);
    return TicketResponse(http::status::kCreated, *ticket);
  }

  // GET /api/v1/portal/tickets/:id
  Response GetTicket(const Request& request) const {
    auto ticket = tickets_.Get(request.principal(), request.PathParam("id"));
    if (!ticket) return http::Problem(ticket.error(), request);
    return TicketResponse(http::status::kOk, *ticket);
  }

  // POST /api/v1/portal/tickets/:id/resolve
  Response ResolveTicket(const Request& request) const {
    auto resolution = tickets::ParseResolution(request.body());
    if (!resolution) return http::Problem(resolution.error(), request);
    auto ticket = tickets_.Resolve(request.principal(), request.PathParam("id"),
                                   std::move(*resolution), http::IfMatchVersion(request));
    if (!ticket) return http::Problem(ticket.error(), request);
    return TicketResponse(http::status::kOk, *ticket);
  }

  // GET /api/v1/portal/tickets/:id/comments
  Response ListComments(const Request& request) const {
    auto page = http::ParsePage(request, kCommentSortFields, "created_at");
    if (!page) return http::Problem(page.error(), request);
    auto result = tickets_.ListComments(request.principal(), request.PathParam("id"), *page);
    if (!result) return http::Problem(result.error(), request);
    core::Page out;
    for (const auto& comment : result->data) out.data.push_back(CommentJson(comment));
    out.next_cursor = std::move(result->next_cursor);
    out.total = result->total;
    return http::Json(http::status::kOk, std::move(out).ToJson());
  }

  // POST /api/v1/portal/tickets/:id/comments
  Response AddComment(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto text = tickets::ParseComment(body);
    if (!text) return http::Problem(text.error(), request);
    auto comment = tickets_.AddComment(request.principal(), request.PathParam("id"),
                                       std::move(*text));
    if (!comment) return http::Problem(comment.error(), request);
    return http::Json(http::status::kCreated, CommentJson(*comment))
        .WithHeader("Location",
                    fmt::format("/api/v1/portal/tickets/{}/comments", comment->ticket_id));
  }

  // GET /api/v1/portal/interactions
  Response ListMeetings(const Request& request) const {
    auto page =
        http::ParsePage(request, interactions::kInteractionSortFields, kDefaultMeetingSort);
    if (!page) return http::Problem(page.error(), request);
    auto filter =
        ParseInteractionFilter([&](std::string_view name) { return request.Query(name); });
    if (!filter) return http::Problem(filter.error(), request);
    auto result = interactions_.List(request.principal(), *filter, *page);
    if (!result) return http::Problem(result.error(), request);
    core::Page out;
    for (const auto& meeting : result->data) out.data.push_back(meeting.ToPortalJson());
    out.next_cursor = std::move(result->next_cursor);
    out.total = result->total;
    return http::Json(http::status::kOk, std::move(out).ToJson());
  }

 private:
  PortalService& portal_;
  tickets::TicketService& tickets_;
  interactions::InteractionService& interactions_;
};

}  // namespace

void RegisterPortalRoutes(http::Router& router, PortalService& portal,
                          tickets::TicketService& tickets,
                          interactions::InteractionService& interactions) {
  auto routes = std::make_shared<Routes>(portal, tickets, interactions);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  const http::RouteOptions open{.access = http::Access::kPublic, .strict_rate_limit = true};
  const http::RouteOptions portal_only{.access = http::Access::kPortal};
  router.Post("/api/v1/portal/signup", bind(&Routes::Signup), open);
  router.Post("/api/v1/portal/verify", bind(&Routes::Verify), open);
  router.Post("/api/v1/portal/login", bind(&Routes::Login), open);
  router.Post("/api/v1/portal/refresh", bind(&Routes::Refresh), open);
  router.Post("/api/v1/portal/logout", bind(&Routes::Logout), {.access = http::Access::kPublic});
  router.Get("/api/v1/portal/me", bind(&Routes::Me), portal_only);
  router.Get("/api/v1/portal/tickets", bind(&Routes::ListTickets), portal_only);
  router.Post("/api/v1/portal/tickets", bind(&Routes::CreateTicket), portal_only);
  router.Get("/api/v1/portal/tickets/:id", bind(&Routes::GetTicket), portal_only);
  router.Post("/api/v1/portal/tickets/:id/resolve", bind(&Routes::ResolveTicket), portal_only);
  router.Get("/api/v1/portal/tickets/:id/comments", bind(&Routes::ListComments), portal_only);
  router.Post("/api/v1/portal/tickets/:id/comments", bind(&Routes::AddComment), portal_only);
  router.Get("/api/v1/portal/interactions", bind(&Routes::ListMeetings), portal_only);
}

}  // namespace rapport::portal
