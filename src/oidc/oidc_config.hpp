#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace rapport::oidc {

// One OpenID Connect provider, from RAPPORT_OIDC_<NAME>_* settings.
struct ProviderConfig {
  std::string name;           // lower case, as in /api/v1/auth/oidc/{name}/...
  std::string issuer;         // exact `iss` of its ID tokens; discovery is issuer +
                              // /.well-known/...
  std::string client_id;      // also the required `aud`
  std::string client_secret;  // empty: a public client (PKCE only)
  std::string redirect_uri;   // sent to the provider; default
                              // PUBLIC_URL/api/v1/auth/oidc/NAME/callback
  std::string scopes = "openid email profile";
};

struct Settings {
  std::vector<ProviderConfig> providers;
  std::chrono::milliseconds timeout{5000};  // each outgoing call
};

constexpr std::string_view kGoogleIssuer = "https://accounts.google.com";

// Whether `key` has the shape of an OIDC setting: RAPPORT_OIDC_PROVIDERS,
// RAPPORT_OIDC_TIMEOUT_MS or
// RAPPORT_OIDC_<NAME>_{ISSUER,CLIENT_ID,CLIENT_SECRET,REDIRECT_URI,SCOPES}.
bool IsSettingName(std::string_view key);

// Builds the provider list from the RAPPORT_OIDC_* entries of `values` (other
// keys are ignored). Invalid errors name the setting: a bad provider name, a
// missing client id, an issuer or redirect URI that is not https (plain http is
// allowed for loopback hosts only), a setting for a provider that
// RAPPORT_OIDC_PROVIDERS does not list.
core::Result<Settings> ParseSettings(const std::map<std::string, std::string>& values,
                                     std::string_view public_url);

// Whether `url` is https://..., or http:// to a loopback host (127.0.0.0/8,
// localhost, [::1]).
bool IsAllowedUrl(std::string_view url);

}  // namespace rapport::oidc
