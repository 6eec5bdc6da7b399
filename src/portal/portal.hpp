#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/query_reader.hpp"
#include "core/result.hpp"
#include "interactions/interaction.hpp"
#include "tickets/ticket.hpp"

namespace rapport::portal {

// How long a verification link works.
constexpr std::chrono::hours kVerificationLifetime{24};
// Verification mails sent to one address per hour at most; further sign-ups for it within
// the hour are answered the same way but send nothing.
constexpr int kMaxSignupMailsPerHour = 5;

// A customer's portal account. It exists only once its email was verified. The password
// hash never leaves the portal module.
struct Account {
  std::string id;
  std::string customer_id;
  std::string email;  // the sign-in identity, as verified
  std::string name;
  std::string verified_at;
  std::string created_at;
  std::string updated_at;
  std::string password_hash;  // never serialised
};

// The customer as its portal account sees it: no notes, tags, owner, spend or status.
struct CustomerView {
  std::string id;
  std::string name;
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> company;
};

// GET /portal/me: {id, email, name, verified_at, created_at, updated_at,
//                  customer {id, name, email, phone, company}}.
nlohmann::json AccountJson(const Account& account, const std::optional<CustomerView>& customer);

// POST /portal/signup: {name, email, password, company?, phone?}.
struct SignupInput {
  std::string name;
  std::string email;
  std::string password;
  std::optional<std::string> company;
  std::optional<std::string> phone;
};
// name 1–200, a valid email, password 10–1024 (as staff passwords), company up to 200,
// phone up to 50 ("" reads as absent). Invalid names every bad, unknown or read-only field.
core::Result<SignupInput> ParseSignup(const nlohmann::json& body);

// A pending sign-up: what a verification token turns into an account.
struct PendingSignup {
  std::string token_hash;
  std::string email;
  std::string name;
  std::string password_hash;  // empty: an attempt on an address that has an account
  std::optional<std::string> phone;
  std::optional<std::string> company;
  std::string expires_at;
  std::optional<std::string> used_at;
  std::string created_at;
};

// What a customer sees of a ticket: its own fields, no staff ids or links
// (assignee_id, interaction_id, customer_id and the creating user's id are left out):
// {id, title, description, status, priority, resolution, resolved_at,
//  created_by {kind: customer | user}, created_at, updated_at}.
nlohmann::json TicketJson(const tickets::Ticket& ticket);
// A comment without the staff author's id: {id, body, author {kind}, created_at}.
nlohmann::json CommentJson(const tickets::TicketComment& comment);

// The filters a customer may use on their lists: tickets `status`, `priority`, `q`,
// `created_after`, `created_before`; meetings `status`, `from`, `to`. Staff-only filters
// (customer_id, assignee_id, user_id, ...) are not read. BadRequest names the parameter.
core::Result<tickets::TicketFilter> ParseTicketFilter(const core::ParamLookup& param);
core::Result<interactions::InteractionFilter> ParseInteractionFilter(
    const core::ParamLookup& param);

}  // namespace rapport::portal
