#include "portal/portal_service.hpp"

#include <fmt/format.h>

#include "auth/password.hpp"
#include "auth/tokens.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace rapport::portal {

namespace {

std::string At(core::Timestamp t) { return core::FormatTimestamp(t); }

// The server itself, for what sign-up does without a staff user: finding the customer of
// an address and creating a lead (an admin's view, recorded as nobody in the status history).
core::Principal System() {
  core::Principal who;
  who.kind = core::Principal::Kind::kUser;
  who.role = core::Role::kAdmin;
  return who;
}

template <class T>
core::Field<T> Given(std::optional<T> value) {
  core::Field<T> field;
  field.present = value.has_value();
  field.value = std::move(value);
  return field;
}

std::string ThrottleKey(std::string_view email) {
  return "portal:" + core::ToLowerAscii(email);
}

}  // namespace

PortalService::PortalService(db::Database& database, auth::AuthService& auth,
                             customers::CustomerService& customers, email::EmailService& emails,
                             std::string public_url)
    : database_(database),
      auth_(auth),
      customers_(customers),
      emails_(emails),
      public_url_(std::move(public_url)) {
  while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
}

core::Status PortalService::Signup(const SignupInput& input) {
  // The same work whatever the address: a hash, then one transaction.
  const std::string token = auth::NewOpaqueToken();
  const std::string password_hash = auth::HashPassword(input.password);
  const core::Timestamp now = core::Now();
  return database_.Write([&](db::Session& tx) -> core::Status {
    if (store_.CountSignupsSince(tx, input.email, At(now - std::chrono::hours(1))) >=
        kMaxSignupMailsPerHour) {
      return core::Ok{};  // enough mail to that address for now
    }
    const auto customer = customers_.FindByEmail(tx, System(), input.email);
    PendingSignup signup;
    signup.token_hash = auth::HashOpaqueToken(token);
    signup.email = input.email;
    signup.name = input.name;
    signup.phone = input.phone;
    signup.company = input.company;
    signup.created_at = At(now);
    signup.expires_at = At(now + kVerificationLifetime);

    email::SystemMessage message;
    message.to = input.email;
    message.to_name = input.name;
    if (customer) message.customer_id = customer->id;  // erased with the customer
    if (store_.FindAccountByEmail(tx, input.email)) {
      // Recorded (it counts towards the hourly limit) but never usable: no hash.
      signup.used_at = signup.created_at;
      message.subject = "Your customer portal account";
      message.text = fmt::format(
          "Hello,\n\n"
          "someone, probably you, tried to sign up for the customer portal with this address.\n"
          "There is an account for it already: sign in with your password at\n\n"
          "  {}/portal/login\n\n"
          "If it was not you, you can ignore this message; nothing was changed.\n",
          public_url_);
    } else {
      signup.password_hash = password_hash;
      message.subject = "Verify your email for the customer portal";
      message.text = fmt::format(
          "Hello {},\n\n"
          "please confirm that this is your address by opening this link within 24 hours:\n\n"
          "  {}/portal/verify?token={}\n\n"
          "(Or send the code to POST /api/v1/portal/verify: {})\n\n"
          "If you did not sign up, ignore this message: no account is made without it.\n",
          input.name, public_url_, token, token);
    }
    store_.InsertSignup(tx, signup);
    auto queued = emails_.EnqueueSystemMessage(tx, message);
    if (!queued) return queued.error();
    return core::Ok{};
  });
}

core::Result<Account> PortalService::Verify(std::string_view token) {
  const std::string hash = auth::HashOpaqueToken(token);
  const std::string now = At(core::Now());
  return database_.Write([&](db::Session& tx) -> core::Result<Account> {
    auto signup = store_.FindSignup(tx, hash);
    if (!signup || signup->password_hash.empty()) {
      return core::Error::Invalid("token", "is not a valid verification token");
    }
    if (signup->used_at) return core::Error::Invalid("token", "has already been used");
    if (signup->expires_at <= now) {
      return core::Error::Invalid("token", "has expired; sign up again for a new link");
    }
    // Claimed atomically: of two concurrent uses only one changes the row.
    if (!store_.UseSignup(tx, hash, now)) {
      return core::Error::Invalid("token", "has already been used");
    }
    if (store_.FindAccountByEmail(tx, signup->email)) {
      return core::Error::Conflict("email", "an account with this email exists; sign in");
    }
    std::string customer_id;
    if (auto customer = customers_.FindByEmail(tx, System(), signup->email)) {
      customer_id = customer->id;
    } else {
      customers::CustomerInput lead;
      lead.name = Given(std::optional<std::string>(signup->name));
      lead.email = Given(std::optional<std::string>(signup->email));
      lead.phone = Given(signup->phone);
      lead.company = Given(signup->company);
      auto created = customers_.Create(tx, System(), lead);
      if (!created) return created.error();
      customer_id = created->id;
    }
    Account account{core::NewId(), customer_id, signup->email, signup->name, now, now, now,
                    signup->password_hash};
    if (auto inserted = store_.InsertAccount(tx, account); !inserted) return inserted.error();
    store_.UseSignupsOf(tx, signup->email, now);  // the other links of the address are spent
    return account;
  });
}

LoginOutcome PortalService::Login(std::string_view email, std::string_view password,
                                  std::string_view ip) {
  const std::string key = ThrottleKey(email);
  LoginOutcome outcome;
  auto failures = auth_.LoginFailures(key, ip);
  if (!failures) {
    outcome.result = failures.error();
    return outcome;
  }
  auto account =
      database_.Read([&](db::Session& session) { return store_.FindAccountByEmail(session, email); });
  // A dummy hash for unknown addresses, so timing does not tell which have accounts.
  const bool password_ok =
      auth::VerifyPassword(account ? account->password_hash : auth::DummyHash(), password);
  if (!account || !password_ok) {
    outcome.delay = auth_.RecordLoginFailure(key, ip, *failures);
    outcome.result = core::Error::Unauthorized("invalid email or password");
    return outcome;
  }
  auto tokens = database_.Write([&](db::Session& tx) -> core::Result<auth::TokenPair> {
    return auth_.IssueTokens(tx, kPrincipalKind, account->id, "");
  });
  if (!tokens) {
    outcome.result = tokens.error();
    return outcome;
  }
  outcome.result = std::make_pair(std::move(*tokens), std::move(*account));
  return outcome;
}

core::Result<auth::TokenPair> PortalService::Refresh(std::string_view refresh_token) {
  return auth_.Refresh(refresh_token, kPrincipalKind);
}

void PortalService::Logout(std::string_view refresh_token) {
  auth_.Logout(refresh_token, kPrincipalKind);
}

core::Result<std::pair<Account, std::optional<CustomerView>>> PortalService::Me(
    const core::Principal& who) {
  using Out = std::pair<Account, std::optional<CustomerView>>;
  if (who.kind != core::Principal::Kind::kPortal) {
    return core::Error::Forbidden("only customer-portal accounts have a portal profile");
  }
  return database_.Read([&](db::Session& session) -> core::Result<Out> {
    auto account = store_.FindAccount(session, who.id);
    if (!account) return core::Error::Unauthorized("the account no longer exists");
    std::optional<CustomerView> view;
    if (auto customer = customers_.Get(session, who, account->customer_id)) {
      view = CustomerView{customer->id, customer->name, customer->email, customer->phone,
                          customer->company};
    }
    return Out{std::move(*account), std::move(view)};
  });
}

std::optional<core::Principal> PortalService::Resolve(db::Session& session, std::string_view id) {
  if (!core::IsUuid(id)) return std::nullopt;
  auto account = store_.FindAccount(session, id);
  if (!account) return std::nullopt;
  core::Principal who;
  who.kind = core::Principal::Kind::kPortal;
  who.id = account->id;
  who.customer_id = account->customer_id;
  return who;
}

void PortalService::RegisterJobs(jobs::JobQueue& queue) {
  queue.Every(std::string(kPurgeJob), std::chrono::hours(1), [this](const jobs::Job&) {
    const std::string before = At(core::Now() - std::chrono::hours(24));
    database_.Apply([&](db::Session& tx) { store_.DeleteSignupsExpiredBefore(tx, before); });
    return jobs::Outcome::Done();
  });
}

}  // namespace rapport::portal
