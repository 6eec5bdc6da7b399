#include "email/mail_settings.hpp"

#include <gtest/gtest.h>

#include <set>

namespace rapport::email {
namespace {

using Values = std::map<std::string, std::string>;

std::set<std::string> Fields(const core::Error& error) {
  std::set<std::string> fields;
  for (const auto& e : error.errors) fields.insert(e.field);
  return fields;
}

TEST(MailSettingsTest, NothingConfiguredIsDevelopmentMode) {
  auto settings = ParseMailSettings({}, "http://127.0.0.1:8080/", "");
  ASSERT_TRUE(settings.ok());
  EXPECT_FALSE(settings->smtp_enabled);
  EXPECT_EQ(settings->public_url, "http://127.0.0.1:8080");
  EXPECT_EQ(settings->from.address, "rapport@localhost");
}

TEST(MailSettingsTest, UrlsHostsPortsAndTlsModes) {
  struct Case {
    Values values;
    std::string url;
    TlsMode tls;
  };
  const std::string from = "Rapport <crm@example.com>";
  const std::vector<Case> cases = {
      {{{"RAPPORT_SMTP_URL", "smtp://mail.example.com:2525"}},
       "smtp://mail.example.com:2525/example.com",
       TlsMode::kStartTls},
      {{{"RAPPORT_SMTP_URL", "smtps://mail.example.com"}},
       "smtps://mail.example.com:465/example.com",
       TlsMode::kImplicit},
      {{{"RAPPORT_SMTP_URL", "smtp://127.0.0.1:25"}, {"RAPPORT_SMTP_TLS", "none"}},
       "smtp://127.0.0.1:25/example.com",
       TlsMode::kNone},
      {{{"RAPPORT_SMTP_HOST", "mail.example.com"}},
       "smtp://mail.example.com:587/example.com",
       TlsMode::kStartTls},
      {{{"RAPPORT_SMTP_HOST", "mail.example.com"}, {"RAPPORT_SMTP_TLS", "tls"}},
       "smtps://mail.example.com:465/example.com",
       TlsMode::kImplicit},
      {{{"RAPPORT_SMTP_HOST", "mail.example.com"},
        {"RAPPORT_SMTP_PORT", "1025"},
        {"RAPPORT_SMTP_TLS", "starttls"}},
       "smtp://mail.example.com:1025/example.com",
       TlsMode::kStartTls},
  };
  for (Case c : cases) {
    c.values["RAPPORT_SMTP_FROM"] = from;
    auto settings = ParseMailSettings(c.values, "https://crm.example.com", "secret");
    ASSERT_TRUE(settings.ok()) << c.url << ": " << settings.error().errors.at(0).message;
    EXPECT_TRUE(settings->smtp_enabled);
    EXPECT_EQ(settings->url, c.url);
    EXPECT_EQ(settings->tls, c.tls) << c.url;
    EXPECT_EQ(settings->from.name, "Rapport");
    EXPECT_EQ(settings->inbound_secret, "secret");
  }
}

TEST(MailSettingsTest, RefusesBadSettingsNamingThem) {
  struct Case {
    Values values;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{{"RAPPORT_SMTP_URL", "http://mail.example.com"}}, "RAPPORT_SMTP_URL"},
      {{{"RAPPORT_SMTP_URL", "smtp://user:pw@mail.example.com"}}, "RAPPORT_SMTP_URL"},
      {{{"RAPPORT_SMTP_URL", "smtp://mail.example.com:99999"}}, "RAPPORT_SMTP_URL"},
      {{{"RAPPORT_SMTP_URL", "smtp://mail.example.com"}, {"RAPPORT_SMTP_HOST", "x.example.com"}},
       "RAPPORT_SMTP_URL"},
      {{{"RAPPORT_SMTP_URL", "smtps://mail.example.com"}, {"RAPPORT_SMTP_TLS", "starttls"}},
       "RAPPORT_SMTP_TLS"},
      {{{"RAPPORT_SMTP_HOST", "mail.example.com"}, {"RAPPORT_SMTP_TLS", "ssl"}},
       "RAPPORT_SMTP_TLS"},
      {{{"RAPPORT_SMTP_HOST", "mail.example.com"}, {"RAPPORT_SMTP_PORT", "x"}},
       "RAPPORT_SMTP_PORT"},
      {{{"RAPPORT_SMTP_PORT", "25"}}, "RAPPORT_SMTP_PORT"},
      {{{"RAPPORT_SMTP_HOST", "mail.example.com"}, {"RAPPORT_SMTP_PASSWORD", "pw"}},
       "RAPPORT_SMTP_PASSWORD"},
      {{{"RAPPORT_SMTP_HOST", "mail example.com"}}, "RAPPORT_SMTP_HOST"},
      {{{"RAPPORT_SMTP_FROM", "not an address"}}, "RAPPORT_SMTP_FROM"},
  };
  for (Case c : cases) {
    if (!c.values.contains("RAPPORT_SMTP_FROM")) c.values["RAPPORT_SMTP_FROM"] = "crm@example.com";
    auto settings = ParseMailSettings(c.values, "http://x", "");
    ASSERT_FALSE(settings.ok()) << c.field;
    EXPECT_TRUE(Fields(settings.error()).contains(c.field)) << c.field;
  }
  // SMTP without a From address.
  auto no_from = ParseMailSettings({{"RAPPORT_SMTP_HOST", "mail.example.com"}}, "http://x", "");
  ASSERT_FALSE(no_from.ok());
  EXPECT_TRUE(Fields(no_from.error()).contains("RAPPORT_SMTP_FROM"));
}

}  // namespace
}  // namespace rapport::email
