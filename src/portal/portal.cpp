#include "portal/portal.hpp"

#include <algorithm>
#include <array>

#include "auth/user.hpp"
#include "core/json_reader.hpp"

namespace rapport::portal {

namespace {

// Only the parameters in `allowed` are looked up; the rest read as absent.
core::ParamLookup Only(const core::ParamLookup& param, std::span<const std::string_view> allowed) {
  return [param, allowed](std::string_view name) -> std::optional<std::string_view> {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) return std::nullopt;
    return param(name);
  };
}

constexpr std::array<std::string_view, 5> kTicketFilters = {"status", "priority", "q",
                                                           "created_after", "created_before"};
constexpr std::array<std::string_view, 3> kInteractionFilters = {"status", "from", "to"};

}  // namespace

nlohmann::json AccountJson(const Account& account, const std::optional<CustomerView>& customer) {
  nlohmann::json out = {{"id", account.id},
                        {"email", account.email},
                        {"name", account.name},
                        {"verified_at", account.verified_at},
                        {"created_at", account.created_at},
                        {"updated_at", account.updated_at},
                        {"customer", nullptr}};
  if (customer) {
    out["customer"] = {{"id", customer->id},
                       {"name", customer->name},
                       {"email", core::JsonOrNull(customer->email)},
                       {"phone", core::JsonOrNull(customer->phone)},
                       {"company", core::JsonOrNull(customer->company)}};
  }
  return out;
}

core::Result<SignupInput> ParseSignup(const nlohmann::json& body) {
  core::JsonReader in(body);
  auto name = in.Text("name", {.min = 1, .max = 200});
  auto email = in.Email("email");
  auto password = auth::ReadPassword(in, "password");
  auto company = in.TextOrNull("company", 200);
  auto phone = in.TextOrNull("phone", 50);
  in.ReadOnly({"id", "customer_id", "verified_at", "created_at", "updated_at", "password_hash"});
  in.Require("name", name);
  in.Require("email", email);
  in.Require("password", password);
  if (auto error = in.Finish()) return *error;
  return SignupInput{*name, *email, *password, company.value, phone.value};
}

nlohmann::json TicketJson(const tickets::Ticket& ticket) {
  return {{"id", ticket.id},
          {"title", ticket.title},
          {"description", core::JsonOrNull(ticket.description)},
          {"status", tickets::StatusName(ticket.status)},
          {"priority", ticket.priority},
          {"resolution", core::JsonOrNull(ticket.resolution)},
          {"resolved_at", core::JsonOrNull(ticket.resolved_at)},
          {"created_by", {{"kind", ticket.created_by.kind}}},
          {"created_at", ticket.created_at},
          {"updated_at", ticket.updated_at}};
}

nlohmann::json CommentJson(const tickets::TicketComment& comment) {
  return {{"id", comment.id},
          {"body", comment.body},
          {"author", {{"kind", comment.author.kind}}},
          {"created_at", comment.created_at}};
}

core::Result<tickets::TicketFilter> ParseTicketFilter(const core::ParamLookup& param) {
  return tickets::ParseTicketFilter(Only(param, kTicketFilters));
}

core::Result<interactions::InteractionFilter> ParseInteractionFilter(
    const core::ParamLookup& param) {
  return interactions::ParseInteractionFilter(Only(param, kInteractionFilters));
}

}  // namespace rapport::portal
