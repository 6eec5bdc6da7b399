#include "oidc/oidc_config.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

#include "core/text.hpp"

namespace rapport::oidc {

namespace {

constexpr std::string_view kPrefix = "RAPPORT_OIDC_";
constexpr std::array<std::string_view, 5> kProviderKeys = {
    "_ISSUER", "_CLIENT_ID", "_CLIENT_SECRET", "_REDIRECT_URI", "_SCOPES"};

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 32 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view HostOf(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (rest.starts_with('[')) return rest.substr(0, rest.find(']') + 1);
  return rest.substr(0, rest.find(':'));
}

}  // namespace

bool IsAllowedUrl(std::string_view url) {
  const std::string lower = core::ToLowerAscii(url);
  if (lower.find_first_of(" \t\r\n") != std::string::npos) return false;
  if (lower.starts_with("https://")) return !HostOf(lower).empty();
  if (!lower.starts_with("http://")) return false;
  const std::string_view host = HostOf(lower);
  const bool ipv4 = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.';
  });
  return host == "localhost" || host == "[::1]" || (ipv4 && host.starts_with("127."));
}

bool IsSettingName(std::string_view key) {
  if (!key.starts_with(kPrefix)) return false;
  const std::string_view rest = key.substr(kPrefix.size());
  if (rest == "PROVIDERS" || rest == "TIMEOUT_MS") return true;
  return std::any_of(kProviderKeys.begin(), kProviderKeys.end(), [&](std::string_view suffix) {
    return rest.size() > suffix.size() && rest.ends_with(suffix);
  });
}

core::Result<Settings> ParseSettings(const std::map<std::string, std::string>& values,
                                     std::string_view public_url) {
  Settings settings;
  std::vector<core::FieldError> errors;
  auto get = [&](const std::string& key) -> std::string {
    auto it = values.find(key);
    return it == values.end() ? std::string() : core::Trim(it->second);
  };

  if (auto it = values.find("RAPPORT_OIDC_TIMEOUT_MS"); it != values.end()) {
    long ms = 0;
    const std::string text = core::Trim(it->second);
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc() || ptr != text.data() + text.size() || ms < 100 || ms > 60000) {
      errors.push_back({"RAPPORT_OIDC_TIMEOUT_MS", "must be 100 to 60000 (milliseconds)"});
    } else {
      settings.timeout = std::chrono::milliseconds(ms);
    }
  }

  std::vector<std::string> names;
  std::string_view list = values.contains("RAPPORT_OIDC_PROVIDERS")
                              ? std::string_view(values.at("RAPPORT_OIDC_PROVIDERS"))
                              : std::string_view();
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string name = core::ToLowerAscii(core::Trim(list.substr(0, comma)));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (name.empty()) continue;
    if (!ValidName(name)) {
      errors.push_back({"RAPPORT_OIDC_PROVIDERS",
                        fmt::format("'{}' is not a provider name (a letter, then letters, digits "
                                    "or _; at most 32)",
                                    name)});
      continue;
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }

  std::string base(public_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  for (const std::string& name : names) {
    const std::string key = std::string(kPrefix) + Upper(name);
    ProviderConfig provider;
    provider.name = name;
    provider.issuer = get(key + "_ISSUER");
    if (provider.issuer.empty() && name == "google") provider.issuer = kGoogleIssuer;
    provider.client_id = get(key + "_CLIENT_ID");
    provider.client_secret = get(key + "_CLIENT_SECRET");
    provider.redirect_uri = get(key + "_REDIRECT_URI");
    if (provider.redirect_uri.empty()) {
      provider.redirect_uri = fmt::format("{}/api/v1/auth/oidc/{}/callback", base, name);
    }
    if (auto scopes = get(key + "_SCOPES"); !scopes.empty()) provider.scopes = scopes;

    if (provider.issuer.empty()) {
      errors.push_back({key + "_ISSUER", "is required"});
    } else if (!IsAllowedUrl(provider.issuer)) {
      errors.push_back({key + "_ISSUER", "must be an https URL (http only for a loopback host)"});
    }
    if (provider.client_id.empty()) errors.push_back({key + "_CLIENT_ID", "is required"});
    if (!IsAllowedUrl(provider.redirect_uri)) {
      errors.push_back(
          {key + "_REDIRECT_URI", "must be an https URL (http only for a loopback host)"});
    }
    if ((" " + provider.scopes + " ").find(" openid ") == std::string::npos) {
      errors.push_back({key + "_SCOPES", "must include openid"});
    }
    settings.providers.push_back(std::move(provider));
  }

  // A setting for a provider that is not listed is most likely a typo: say so.
  for (const auto& [key, value] : values) {
    if (!IsSettingName(key) || key == "RAPPORT_OIDC_PROVIDERS" ||
        key == "RAPPORT_OIDC_TIMEOUT_MS") {
      continue;
    }
    const bool known = std::any_of(names.begin(), names.end(), [&](const std::string& name) {
      const std::string own = std::string(kPrefix) + Upper(name);
      return std::any_of(kProviderKeys.begin(), kProviderKeys.end(),
                         [&](std::string_view suffix) { return key == own + std::string(suffix); });
    });
    if (!known) {
      errors.push_back({key, "names a provider that RAPPORT_OIDC_PROVIDERS does not list"});
    }
  }
  if (!errors.empty()) return core::Error::Invalid(std::move(errors));
  return settings;
}

}  // namespace rapport::oidc
