#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "auth/auth_service.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "oidc/http_client.hpp"
#include "oidc/id_token.hpp"
#include "oidc/oidc_config.hpp"
#include "oidc/oidc_store.hpp"

namespace spdlog {
class logger;
}

namespace rapport::oidc {

constexpr auto kStateLifetime = std::chrono::minutes(10);

// What the provider sent back to the callback (query parameters).
struct CallbackParams {
  std::optional<std::string> code;
  std::optional<std::string> state;
  std::optional<std::string> error;  // e.g. access_denied when the user declined
};

// Sign-in through OpenID Connect providers (authorization code flow with PKCE
// S256, state and nonce). Discovery documents and JWKS are fetched on first use
// and kept for an hour; a token signed with an unknown kid makes the JWKS be
// fetched again. Pending sign-ins live in the database, so any node can finish
// one. Thread-safe; calls block on the provider (each call bounded by the
// configured timeout) and on the database.
class OidcService {
 public:
  OidcService(db::Database& database, auth::AuthService& auth, Settings settings,
              std::shared_ptr<spdlog::logger> log);
  ~OidcService();

  // The provider's authorization URL for a new sign-in (state, nonce and PKCE
  // challenge stored for the callback). NotFound for a provider that is not
  // configured, BadGateway when its discovery document cannot be had.
  core::Result<std::string> StartLogin(std::string_view provider);

  // Finishes a sign-in: uses up the state, exchanges the code, verifies the ID
  // token and signs in the staff user with its verified email. NotFound
  // (provider), BadRequest (missing parameter), Unauthorized (unknown, used or
  // expired state; refused code; an ID token that fails a check; a deactivated
  // user), Forbidden (no staff user has the email), BadGateway (the provider
  // failed or did not answer in time).
  core::Result<std::pair<auth::TokenPair, auth::User>> FinishLogin(std::string_view provider,
                                                                   const CallbackParams& params);

 private:
  struct Discovery {
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string jwks_uri;
    bool basic_auth = true;  // client_secret_basic, else client_secret_post
  };
  struct Provider {
    ProviderConfig config;
    std::mutex mutex;  // guards everything below; held while fetching, so
                       // fetches do not pile up
    std::optional<Discovery> discovery;
    std::chrono::steady_clock::time_point discovery_fetched;
    KeySet keys;
    std::optional<std::chrono::steady_clock::time_point> keys_fetched;
  };

  Provider* Find(std::string_view name);
  core::Result<Discovery> GetDiscovery(Provider& provider);
  core::Result<Discovery> FetchDiscovery(const ProviderConfig& config);
  // The PEM of the key `kid` ("" for a token without kid), fetching the JWKS
  // when it is not cached, stale, or lacks that key. Empty string when the
  // provider has no such key.
  core::Result<std::string> KeyFor(Provider& provider, const Discovery& discovery,
                                   const std::string& kid);
  core::Result<std::string> ExchangeCode(const Provider& provider, const Discovery& discovery,
                                         const std::string& code, const PendingLogin& login);
  void Warn(std::string_view provider, const core::Error& error) const;

  db::Database& database_;
  auth::AuthService& auth_;
  HttpClient http_;
  OidcStore store_;
  std::shared_ptr<spdlog::logger> log_;
  std::map<std::string, std::unique_ptr<Provider>, std::less<>> providers_;
};

}  // namespace rapport::oidc
