#include "oidc/oidc_service.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "auth/tokens.hpp"
#include "core/sodium.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace rapport::oidc {

namespace {

constexpr auto kCacheLifetime = std::chrono::hours(1);

core::Error BadGateway(std::string detail) {
  return core::Error{core::Code::kBadGateway, std::move(detail), {}};
}

std::string S256(std::string_view verifier) {
  core::EnsureSodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(verifier.data()),
                     verifier.size());
  return core::Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::optional<std::string> UrlMember(const nlohmann::json& doc, const char* name) {
  auto it = doc.find(name);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  std::string url = it->get<std::string>();
  if (!IsAllowedUrl(url)) return std::nullopt;
  return url;
}

// A provider's error code, for a problem detail: only the characters RFC 6749
// allows.
std::string SafeCode(std::string_view code) {
  std::string out;
  for (char c : code.substr(0, 64)) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') out += c;
  }
  return out.empty() ? std::string("unknown") : out;
}

}  // namespace

OidcService::OidcService(db::Database& database, auth::AuthService& auth, Settings settings,
                         std::shared_ptr<spdlog::logger> log)
    : database_(database), auth_(auth), http_(settings.timeout), log_(std::move(log)) {
  for (ProviderConfig& config : settings.providers) {
    auto provider = std::make_unique<Provider>();
    provider->config = std::move(config);
    providers_.emplace(provider->config.name, std::move(provider));
  }
}

OidcService::~OidcService() = default;

OidcService::Provider* OidcService::Find(std::string_view name) {
  auto it = providers_.find(name);
  return it == providers_.end() ? nullptr : it->second.get();
}

void OidcService::Warn(std::string_view provider, const core::Error& error) const {
  if (!log_) return;
  log_->warn(nlohmann::json({{"ts", core::FormatTimestamp(core::Now())},
                             {"level", "warn"},
                             {"event", "oidc_provider_error"},
                             {"provider", provider},
                             {"detail", error.detail}})
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

core::Result<OidcService::Discovery> OidcService::FetchDiscovery(const ProviderConfig& config) {
  std::string issuer = config.issuer;
  while (!issuer.empty() && issuer.back() == '/') issuer.pop_back();
  auto reply =
      http_.Get(issuer + "/.well-known/openid-configuration", "provider's discovery document");
  if (!reply) return reply.error();
  if (reply->status != 200) {
    return BadGateway(fmt::format("the provider's discovery document answered {}", reply->status));
  }
  const auto doc = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return BadGateway("the provider's discovery document is not JSON");
  if (doc.value("issuer", nlohmann::json()) != config.issuer) {
    return BadGateway("the provider's discovery document names another issuer");
  }
  Discovery discovery;
  auto authorization = UrlMember(doc, "authorization_endpoint");
  auto token = UrlMember(doc, "token_endpoint");
  auto jwks = UrlMember(doc, "jwks_uri");
  if (!authorization || !token || !jwks) {
    return BadGateway(
        "the provider's discovery document lacks an https "
        "authorization_endpoint, "
        "token_endpoint or jwks_uri");
  }
  discovery.authorization_endpoint = std::move(*authorization);
  discovery.token_endpoint = std::move(*token);
  discovery.jwks_uri = std::move(*jwks);
  // client_secret_basic is the default (OIDC Discovery); use post only when
  // basic is not offered.
  if (auto methods = doc.find("token_endpoint_auth_methods_supported");
      methods != doc.end() && methods->is_array()) {
    const bool basic =
        std::find(methods->begin(), methods->end(), "client_secret_basic") != methods->end();
    const bool post =
        std::find(methods->begin(), methods->end(), "client_secret_post") != methods->end();
    discovery.basic_auth = basic || !post;
  }
  return discovery;
}

core::Result<OidcService::Discovery> OidcService::GetDiscovery(Provider& provider) {
  std::lock_guard lock(provider.mutex);
  const auto now = std::chrono::steady_clock::now();
  if (provider.discovery && now - provider.discovery_fetched < kCacheLifetime) {
    return *provider.discovery;
  }
  auto fetched = FetchDiscovery(provider.config);
  if (!fetched) {
    Warn(provider.config.name, fetched.error());
    // A provider that is down for a moment should not stop sign-ins it can
    // still finish.
    if (provider.discovery) return *provider.discovery;
    return fetched.error();
  }
  provider.discovery = *fetched;
  provider.discovery_fetched = now;
  return fetched;
}

core::Result<std::string> OidcService::KeyFor(Provider& provider, const Discovery& discovery,
                                              const std::string& kid) {
  std::lock_guard lock(provider.mutex);
  auto lookup = [&]() -> std::string {
    if (kid.empty()) {
      return provider.keys.size() == 1 ? provider.keys.begin()->second : std::string();
    }
    auto it = provider.keys.find(kid);
    return it == provider.keys.end() ? std::string() : it->second;
  };
  const auto now = std::chrono::steady_clock::now();
  const bool fresh = provider.keys_fetched && now - *provider.keys_fetched < kCacheLifetime;
  if (fresh) {
    if (std::string pem = lookup(); !pem.empty()) return pem;
  }
  // Not cached, stale, or a kid we have not seen (the provider rotated its
  // keys): fetch. The token came from the provider's own token endpoint, so a
  // kid cannot be made up by a client to force fetches.
  auto reply = http_.Get(discovery.jwks_uri, "provider's JWKS");
  if (reply && reply->status == 200) {
    provider.keys = ParseJwks(reply->body);
    provider.keys_fetched = now;
    return lookup();
  }
  const core::Error error =
      reply ? BadGateway(fmt::format("the provider's JWKS answered {}", reply->status))
            : reply.error();
  Warn(provider.config.name, error);
  if (provider.keys_fetched) return lookup();  // keep the keys we had while it is down
  return error;
}

core::Result<std::string> OidcService::ExchangeCode(const Provider& provider,
                                                    const Discovery& discovery,
                                                    const std::string& code,
                                                    const PendingLogin& login) {
  const ProviderConfig& config = provider.config;
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "authorization_code"},
      {"code", code},
      {"redirect_uri", login.redirect_uri},
      {"code_verifier", login.code_verifier},
  };
  std::string user, password;
  if (config.client_secret.empty()) {
    form.emplace_back("client_id", config.client_id);
  } else if (discovery.basic_auth) {
    // RFC 6749 2.3.1: both are form-encoded before they go into the Basic
    // credentials.
    user = FormEncode(config.client_id);
    password = FormEncode(config.client_secret);
  } else {
    form.emplace_back("client_id", config.client_id);
    form.emplace_back("client_secret", config.client_secret);
  }
  auto reply =
      http_.PostForm(discovery.token_endpoint, form, "provider's token endpoint", user, password);
  if (!reply) return reply.error();
  const auto doc = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (reply->status == 400 || reply->status == 401) {
    // invalid_grant and friends: the code is bad, used or expired, or not ours.
    const std::string code_name =
        doc.is_object() && doc.contains("error") && doc["error"].is_string()
            ? SafeCode(doc["error"].get<std::string>())
            : std::string("unknown");
    return core::Error::Unauthorized(
        fmt::format("the provider refused the authorization code ({})", code_name));
  }
  if (reply->status != 200) {
    return BadGateway(fmt::format("the provider's token endpoint answered {}", reply->status));
  }
  if (!doc.is_object() || !doc.contains("id_token") || !doc["id_token"].is_string()) {
    return BadGateway("the provider's token endpoint answered without an id_token");
  }
  return doc["id_token"].get<std::string>();
}

core::Result<std::string> OidcService::StartLogin(std::string_view name) {
  Provider* provider = Find(name);
  if (!provider) return core::Error::NotFound(fmt::format("no OIDC provider named '{}'", name));
  auto discovery = GetDiscovery(*provider);
  if (!discovery) return discovery.error();

  const ProviderConfig& config = provider->config;
  const std::string state = auth::NewOpaqueToken();
  PendingLogin login;
  login.provider = config.name;
  login.nonce = auth::NewOpaqueToken();
  login.code_verifier = auth::NewOpaqueToken();  // 43 characters of [A-Za-z0-9_-] (RFC 7636)
  login.redirect_uri = config.redirect_uri;
  const core::Timestamp now = core::Now();
  login.expires_at = core::FormatTimestamp(now + kStateLifetime);
  database_.Apply([&](db::Session& session) {
    store_.Insert(session, state, login, core::FormatTimestamp(now));
  });

  std::string url = discovery->authorization_endpoint;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += fmt::format(
      "response_type=code&client_id={}&redirect_uri={}&scope={}&"
      "state={}&nonce={}"
      "&code_challenge={}&code_challenge_method=S256",
      FormEncode(config.client_id, false), FormEncode(config.redirect_uri, false),
      FormEncode(config.scopes, false), state, login.nonce, S256(login.code_verifier));
  return url;
}

core::Result<std::pair<auth::TokenPair, auth::User>> OidcService::FinishLogin(
    std::string_view name, const CallbackParams& params) {
  Provider* provider = Find(name);
  if (!provider) return core::Error::NotFound(fmt::format("no OIDC provider named '{}'", name));
  if (!params.state || params.state->empty()) {
    return core::Error::BadRequest("state", "is required");
  }
  if (!params.error && (!params.code || params.code->empty())) {
    return core::Error::BadRequest("code", "is required");
  }
  if (params.state->size() > 512 || (params.code && params.code->size() > 4096)) {
    return core::Error::Unauthorized("the sign-in is unknown, used or expired");
  }

  // The state is used up first, whatever happens next: a callback cannot be
  // replayed.
  auto claimed =
      database_.Write([&](db::Session& session) -> core::Result<std::optional<PendingLogin>> {
        return store_.Claim(session, *params.state);
      });
  const std::string now_text = core::FormatTimestamp(core::Now());
  if (!claimed->has_value() || (*claimed)->provider != provider->config.name ||
      (*claimed)->expires_at <= now_text) {
    return core::Error::Unauthorized("the sign-in is unknown, used or expired; start it again");
  }
  const PendingLogin login = std::move(**claimed);
  if (params.error) {
    return core::Error::Unauthorized(
        fmt::format("the provider did not authorize the sign-in ({})", SafeCode(*params.error)));
  }

  auto discovery = GetDiscovery(*provider);
  if (!discovery) return discovery.error();
  auto id_token = ExchangeCode(*provider, *discovery, *params.code, login);
  if (!id_token) {
    if (id_token.error().code == core::Code::kBadGateway) Warn(name, id_token.error());
    return id_token.error();
  }

  auto header = ReadIdTokenHeader(*id_token);
  if (auto* error = std::get_if<IdTokenError>(&header)) {
    return core::Error::Unauthorized(Describe(*error));
  }
  auto key = KeyFor(*provider, *discovery, std::get<IdTokenHeader>(header).kid);
  if (!key) return key.error();
  if (key->empty()) return core::Error::Unauthorized(Describe(IdTokenError::kUnknownKey));

  const Expected expected{provider->config.issuer, provider->config.client_id, login.nonce};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto verified = VerifyIdToken(*id_token, *key, expected, now);
  if (auto* error = std::get_if<IdTokenError>(&verified)) {
    return core::Error::Unauthorized(Describe(*error));
  }
  return auth_.SignInVerifiedEmail(std::get<IdClaims>(verified).email);
}

}  // namespace rapport::oidc
