#pragma once

#include <chrono>
#include <map>
#include <string>

#include "core/result.hpp"
#include "email/message.hpp"

namespace rapport::email {

enum class TlsMode {
  kNone,      // plain SMTP
  kStartTls,  // plain connect, then STARTTLS, required (the message is never sent in clear)
  kImplicit,  // TLS from the first byte (smtps, usually port 465)
};

// How outgoing mail leaves, and what the email capability takes from the configuration.
struct MailSettings {
  // False: development mode. Nothing is sent; messages are kept as `sent` in the outbox.
  bool smtp_enabled = false;
  std::string url;  // for libcurl: smtp://host:port/EHLO-DOMAIN or smtps://...
  TlsMode tls = TlsMode::kStartTls;
  std::string user;      // empty: no AUTH
  std::string password;  // never logged
  std::string ca_file;   // PEM bundle to trust instead of the system store; empty: system
  Mailbox from{"Rapport", "rapport@localhost"};
  std::string public_url;      // base of tracking links, without a trailing '/'
  std::string inbound_secret;  // empty: POST /emails/inbound answers 503
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds timeout{60};  // a whole transaction
};

// Reads RAPPORT_SMTP_URL or RAPPORT_SMTP_HOST (+ RAPPORT_SMTP_PORT), RAPPORT_SMTP_TLS,
// RAPPORT_SMTP_USER, RAPPORT_SMTP_PASSWORD, RAPPORT_SMTP_FROM and RAPPORT_SMTP_CA_FILE from
// `values` (keyed by those names; absent or empty means unset).
//
// - No URL and no host: development mode.
// - TLS: `none | starttls | tls`; default `tls` for smtps:// and `starttls` otherwise.
//   smtps:// with another mode is an error; `tls` with smtp:// means smtps://.
// - Port: from the URL or RAPPORT_SMTP_PORT; default 465 with `tls`, else 587.
// - RAPPORT_SMTP_FROM (`addr` or `Name <addr>`) is required when SMTP is configured.
// Errors: Invalid naming each bad setting (a URL with credentials in it, both URL and host,
// a password without a user, an unparsable From, ...).
core::Result<MailSettings> ParseMailSettings(const std::map<std::string, std::string>& values,
                                             std::string public_url, std::string inbound_secret);

}  // namespace rapport::email
