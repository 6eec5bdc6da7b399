#include "oidc/oidc_config.hpp"

#include <gtest/gtest.h>

#include <set>

namespace rapport::oidc {
namespace {

std::set<std::string> Fields(const core::Error& error) {
  std::set<std::string> fields;
  for (const auto& e : error.errors) fields.insert(e.field);
  return fields;
}

TEST(OidcConfigTest, GoogleGetsItsIssuerAndRedirectDefaultsToThePublicUrl) {
  auto settings = ParseSettings({{"RAPPORT_OIDC_PROVIDERS", "Google, corp"},
                                 {"RAPPORT_OIDC_GOOGLE_CLIENT_ID", "g-client"},
                                 {"RAPPORT_OIDC_GOOGLE_CLIENT_SECRET", "g-secret"},
                                 {"RAPPORT_OIDC_CORP_ISSUER", "https://login.corp.example/"},
                                 {"RAPPORT_OIDC_CORP_CLIENT_ID", "c-client"},
                                 {"RAPPORT_OIDC_CORP_REDIRECT_URI", "https://app.example/cb"},
                                 {"RAPPORT_OIDC_TIMEOUT_MS", "2500"},
                                 {"RAPPORT_DB", "ignored"}},
                                "https://crm.example/");
  ASSERT_TRUE(settings) << settings.error().detail;
  ASSERT_EQ(settings->providers.size(), 2u);
  const ProviderConfig& google = settings->providers[0];
  EXPECT_EQ(google.name, "google");
  EXPECT_EQ(google.issuer, "https://accounts.google.com");
  EXPECT_EQ(google.client_secret, "g-secret");
  EXPECT_EQ(google.redirect_uri, "https://crm.example/api/v1/auth/oidc/google/callback");
  EXPECT_EQ(google.scopes, "openid email profile");
  const ProviderConfig& corp = settings->providers[1];
  EXPECT_EQ(corp.issuer, "https://login.corp.example/");
  EXPECT_EQ(corp.client_secret, "");
  EXPECT_EQ(corp.redirect_uri, "https://app.example/cb");
  EXPECT_EQ(settings->timeout, std::chrono::milliseconds(2500));
}

TEST(OidcConfigTest, NoProvidersIsValid) {
  auto settings = ParseSettings({}, "http://127.0.0.1:8080");
  ASSERT_TRUE(settings);
  EXPECT_TRUE(settings->providers.empty());
}

TEST(OidcConfigTest, RejectsBadSettingsByName) {
  auto settings = ParseSettings({{"RAPPORT_OIDC_PROVIDERS", "corp,9bad"},
                                 {"RAPPORT_OIDC_CORP_ISSUER", "http://login.corp.example"},
                                 {"RAPPORT_OIDC_CORP_SCOPES", "email"},
                                 {"RAPPORT_OIDC_GOOGEL_CLIENT_ID", "typo"},
                                 {"RAPPORT_OIDC_TIMEOUT_MS", "0"}},
                                "http://127.0.0.1:8080");
  ASSERT_FALSE(settings);
  EXPECT_EQ(Fields(settings.error()),
            (std::set<std::string>{"RAPPORT_OIDC_PROVIDERS", "RAPPORT_OIDC_CORP_ISSUER",
                                   "RAPPORT_OIDC_CORP_CLIENT_ID", "RAPPORT_OIDC_CORP_SCOPES",
                                   "RAPPORT_OIDC_GOOGEL_CLIENT_ID", "RAPPORT_OIDC_TIMEOUT_MS"}));
}

TEST(OidcConfigTest, SettingNames) {
  EXPECT_TRUE(IsSettingName("RAPPORT_OIDC_PROVIDERS"));
  EXPECT_TRUE(IsSettingName("RAPPORT_OIDC_TIMEOUT_MS"));
  EXPECT_TRUE(IsSettingName("RAPPORT_OIDC_GOOGLE_CLIENT_ID"));
  EXPECT_TRUE(IsSettingName("RAPPORT_OIDC_MY_CORP_REDIRECT_URI"));
  EXPECT_FALSE(IsSettingName("RAPPORT_OIDC_CLIENT_ID"));
  EXPECT_FALSE(IsSettingName("RAPPORT_OIDC_GOOGLE_COLOUR"));
  EXPECT_FALSE(IsSettingName("RAPPORT_DB"));
}

TEST(OidcConfigTest, HttpsOnlyExceptLoopback) {
  const struct {
    const char* url;
    bool allowed;
  } cases[] = {
      {"https://accounts.google.com", true},
      {"HTTPS://login.example/tenant", true},
      {"http://127.0.0.1:9000", true},
      {"http://localhost/x", true},
      {"http://[::1]:8080", true},
      {"http://login.example", false},
      {"http://127.0.0.1.evil.example", false},
      {"http://user@127.0.0.1.evil.example/", false},
      {"ftp://127.0.0.1", false},
      {"https://", false},
      {"https://a b", false},
  };
  for (const auto& c : cases) EXPECT_EQ(IsAllowedUrl(c.url), c.allowed) << c.url;
}

}  // namespace
}  // namespace rapport::oidc
