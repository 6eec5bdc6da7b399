#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "auth/auth_service.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "customers/customer_service.hpp"
#include "db/database.hpp"
#include "email/email_service.hpp"
#include "jobs/job_queue.hpp"
#include "portal/portal.hpp"
#include "portal/portal_store.hpp"

namespace rapport::portal {

// A portal sign-in's outcome; failures carry how long to hold the answer back.
struct LoginOutcome {
  core::Result<std::pair<auth::TokenPair, Account>> result = core::Error::Internal();
  std::chrono::milliseconds delay{0};
};

// Customer-portal accounts: sign-up with email verification, sign-in, tokens and the
// account itself. What a signed-in customer may do with tickets and meetings is
// TicketService's and InteractionService's to decide (they take the portal principal).
//
// Sign-up reveals nothing about which addresses have accounts: every well-formed sign-up
// gets the same answer and costs the same work (a password hash and one transaction). An
// address without an account gets a verification link; one with an account gets a note
// saying so instead. The account is made only when the link is used: it takes the name and
// password of that sign-up and links to the customer with that email (case-insensitive), or
// to a new lead made from the sign-up. Links are single-use, expire after
// kVerificationLifetime, and are stored hashed.
//
// Sign-in shares staff sign-in's throttling (AuthService::LoginFailures) with keys of its
// own ("portal:<email>"). Portal tokens are JWTs of kind "portal" and refresh tokens of
// principal kind "portal", rotated with reuse detection like staff ones; the server takes
// them only on /api/v1/portal/* routes. Thread-safe.
class PortalService {
 public:
  static constexpr std::string_view kPrincipalKind = "portal";
  static constexpr std::string_view kPurgeJob = "portal.purge";

  // `public_url` is the base of the links in verification mails (RAPPORT_PUBLIC_URL). The
  // services must outlive this one.
  PortalService(db::Database& database, auth::AuthService& auth,
                customers::CustomerService& customers, email::EmailService& emails,
                std::string public_url);

  // POST /portal/signup. Always Ok for valid input (see above).
  core::Status Signup(const SignupInput& input);
  // POST /portal/verify: makes the account. Invalid naming `token` when it is unknown,
  // expired or used; Conflict naming `email` when another link of the same address made an
  // account first.
  core::Result<Account> Verify(std::string_view token);

  // POST /portal/login: TooManyRequests while over the failure budget, Unauthorized for a
  // wrong email or password (or an address whose sign-up is not verified yet).
  LoginOutcome Login(std::string_view email, std::string_view password, std::string_view ip);
  // POST /portal/refresh: Unauthorized for anything but a live portal refresh token.
  core::Result<auth::TokenPair> Refresh(std::string_view refresh_token);
  // POST /portal/logout: revokes the token's family (portal tokens only).
  void Logout(std::string_view refresh_token);

  // GET /portal/me: the account and its customer.
  core::Result<std::pair<Account, std::optional<CustomerView>>> Me(const core::Principal& who);

  // The portal principal of account `id` (kind kPortal, with its customer), nullopt when the
  // account is gone (erased with its customer). For AuthService::AcceptKind.
  std::optional<core::Principal> Resolve(db::Session& session, std::string_view id);

  // Registers the hourly purge of sign-ups expired for more than a day.
  void RegisterJobs(jobs::JobQueue& queue);

 private:
  db::Database& database_;
  auth::AuthService& auth_;
  customers::CustomerService& customers_;
  email::EmailService& emails_;
  std::string public_url_;
  PortalStore store_;
};

}  // namespace rapport::portal
