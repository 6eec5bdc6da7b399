#include "email/mail_settings.hpp"

#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "core/text.hpp"

namespace rapport::email {

namespace {

std::string Value(const std::map<std::string, std::string>& values, const std::string& key) {
  auto it = values.find(key);
  return it == values.end() ? std::string() : core::Trim(it->second);
}

bool ParsePort(std::string_view text, int& port) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && ptr == text.data() + text.size() && port >= 1 && port <= 65535;
}

bool ValidHost(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (const char c : host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']')) {
      return false;
    }
  }
  return true;
}

}  // namespace

core::Result<MailSettings> ParseMailSettings(const std::map<std::string, std::string>& values,
                                             std::string public_url, std::string inbound_secret) {
  MailSettings settings;
  while (!public_url.empty() && public_url.back() == '/') public_url.pop_back();
  settings.public_url = std::move(public_url);
  settings.inbound_secret = std::move(inbound_secret);
  std::vector<core::FieldError> errors;

  const std::string url = Value(values, "RAPPORT_SMTP_URL");
  const std::string host_setting = Value(values, "RAPPORT_SMTP_HOST");
  const std::string port_setting = Value(values, "RAPPORT_SMTP_PORT");
  const std::string tls = Value(values, "RAPPORT_SMTP_TLS");
  settings.user = Value(values, "RAPPORT_SMTP_USER");
  if (auto it = values.find("RAPPORT_SMTP_PASSWORD"); it != values.end()) {
    settings.password = it->second;  // kept exactly: spaces may belong to it
  }
  settings.ca_file = Value(values, "RAPPORT_SMTP_CA_FILE");
  const std::string from = Value(values, "RAPPORT_SMTP_FROM");

  if (!tls.empty() && tls != "none" && tls != "starttls" && tls != "tls") {
    errors.push_back({"RAPPORT_SMTP_TLS", "must be none, starttls or tls"});
  }
  if (!settings.password.empty() && settings.user.empty()) {
    errors.push_back({"RAPPORT_SMTP_PASSWORD", "needs RAPPORT_SMTP_USER"});
  }
  if (!from.empty()) {
    if (auto mailbox = ParseMailbox(from)) {
      settings.from = std::move(*mailbox);
    } else {
      errors.push_back({"RAPPORT_SMTP_FROM", "must be an address or Name <address>"});
    }
  }

  std::string scheme = "smtp", host;
  int port = 0;
  if (!url.empty() && !host_setting.empty()) {
    errors.push_back({"RAPPORT_SMTP_URL", "give either RAPPORT_SMTP_URL or RAPPORT_SMTP_HOST"});
  } else if (!url.empty()) {
    const auto sep = url.find("://");
    scheme = core::ToLowerAscii(url.substr(0, sep == std::string::npos ? 0 : sep));
    std::string_view rest =
        sep == std::string::npos ? std::string_view() : std::string_view(url).substr(sep + 3);
    rest = rest.substr(0, rest.find('/'));  // a path is not ours to keep: it names EHLO
    if (scheme != "smtp" && scheme != "smtps") {
      errors.push_back({"RAPPORT_SMTP_URL", "must be smtp://host:port or smtps://host:port"});
    } else if (rest.find('@') != std::string_view::npos) {
      errors.push_back(
          {"RAPPORT_SMTP_URL",
           "must not hold credentials; use RAPPORT_SMTP_USER and RAPPORT_SMTP_PASSWORD"});
    } else {
      const auto colon = rest.rfind(':');
      const bool has_port =
          colon != std::string_view::npos && rest.find(']', colon) == std::string_view::npos;
      host = std::string(has_port ? rest.substr(0, colon) : rest);
      if (has_port && !ParsePort(rest.substr(colon + 1), port)) {
        errors.push_back({"RAPPORT_SMTP_URL", "has an invalid port"});
      }
      if (!ValidHost(host)) errors.push_back({"RAPPORT_SMTP_URL", "has an invalid host"});
    }
    if (!port_setting.empty()) {
      errors.push_back({"RAPPORT_SMTP_PORT", "goes with RAPPORT_SMTP_HOST, not RAPPORT_SMTP_URL"});
    }
  } else if (!host_setting.empty()) {
    host = host_setting;
    if (!ValidHost(host)) errors.push_back({"RAPPORT_SMTP_HOST", "must be a host name or address"});
    if (!port_setting.empty() && !ParsePort(port_setting, port)) {
      errors.push_back({"RAPPORT_SMTP_PORT", "must be a port number"});
    }
  } else if (!port_setting.empty()) {
    errors.push_back({"RAPPORT_SMTP_PORT", "needs RAPPORT_SMTP_HOST"});
  }

  settings.smtp_enabled = !host.empty();
  if (scheme == "smtps") {
    if (!tls.empty() && tls != "tls") {
      errors.push_back({"RAPPORT_SMTP_TLS", "must be tls (or unset) with an smtps:// URL"});
    }
    settings.tls = TlsMode::kImplicit;
  } else {
    settings.tls = tls == "none"  ? TlsMode::kNone
                   : tls == "tls" ? TlsMode::kImplicit
                                  : TlsMode::kStartTls;
  }
  if (settings.smtp_enabled && from.empty()) {
    errors.push_back({"RAPPORT_SMTP_FROM", "is required when SMTP is configured"});
  }
  if (!errors.empty()) return core::Error::Invalid(std::move(errors));

  if (settings.smtp_enabled) {
    if (port == 0) port = settings.tls == TlsMode::kImplicit ? 465 : 587;
    // The URL's path is the name curl greets the server with (EHLO): the From domain.
    settings.url =
        fmt::format("{}://{}:{}/{}", settings.tls == TlsMode::kImplicit ? "smtps" : "smtp", host,
                    port, DomainOf(settings.from.address));
  }
  return settings;
}

}  // namespace rapport::email
