#include "email/tracking.hpp"

#include <strings.h>

#include <sodium.h>

#include <fmt/format.h>

#include "core/sodium.hpp"
#include "core/text.hpp"
#include "email/html.hpp"

namespace rapport::email {

namespace {

constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kTokenLength = 43;  // base64url of 32 bytes, unpadded

// The URL to record for an href, or nullopt when it is not an absolute http(s) URL.
std::optional<std::string> TrackableUrl(std::string_view href) {
  const std::string url = core::Trim(DecodeHtmlEntities(href));
  std::size_t host_start = 0;
  if (StartsWithNoCase(url, 0, "http://")) {
    host_start = 7;
  } else if (StartsWithNoCase(url, 0, "https://")) {
    host_start = 8;
  } else {
    return std::nullopt;
  }
  if (url.size() == host_start || url[host_start] == '/') return std::nullopt;
  std::string out;
  for (const char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u < 0x7F) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

// Where the href value of the `<a ...>` tag `tag` lies: [begin, end) of the whole value
// including its quotes. nullopt when the tag has no href.
struct Span {
  std::size_t begin = 0, end = 0;
  std::size_t value_begin = 0, value_end = 0;
};
std::optional<Span> HrefOf(std::string_view tag) {
  std::size_t i = 2;  // past "<a"
  while (i < tag.size()) {
    while (i < tag.size() && (IsHtmlSpace(tag[i]) || tag[i] == '/')) ++i;
    if (i >= tag.size() || tag[i] == '>') return std::nullopt;
    const std::size_t name_begin = i;
    while (i < tag.size() && !IsHtmlSpace(tag[i]) && tag[i] != '=' && tag[i] != '>' &&
           tag[i] != '/') {
      ++i;
    }
    const std::string_view name = tag.substr(name_begin, i - name_begin);
    while (i < tag.size() && IsHtmlSpace(tag[i])) ++i;
    if (i >= tag.size() || tag[i] != '=') continue;  // an attribute without a value
    ++i;
    while (i < tag.size() && IsHtmlSpace(tag[i])) ++i;
    Span span;
    span.begin = i;
    if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
      const char quote = tag[i];
      const std::size_t close = tag.find(quote, i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      span.value_begin = i + 1;
      span.value_end = close;
      i = close + 1;
    } else {
      span.value_begin = i;
      while (i < tag.size() && !IsHtmlSpace(tag[i]) && tag[i] != '>') ++i;
      span.value_end = i;
    }
    span.end = i;
    if (name.size() == 4 && strncasecmp(name.data(), "href", 4) == 0) return span;
  }
  return std::nullopt;
}

}  // namespace

Token NewToken() {
  core::EnsureSodium();
  unsigned char bytes[kTokenBytes];
  randombytes_buf(bytes, sizeof bytes);
  Token token;
  token.value =
      core::Base64UrlEncode(std::string_view(reinterpret_cast<char*>(bytes), sizeof bytes));
  token.hash = HashToken(token.value);
  return token;
}

std::string HashToken(std::string_view value) {
  core::EnsureSodium();
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(value.data()),
                     value.size(), nullptr, 0);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, sizeof digest * 2);
}

bool IsTokenShaped(std::string_view text) {
  if (text.size() != kTokenLength) return false;
  for (const char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string_view PixelGif() {
  static constexpr char kGif[] =
      "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00"
      "\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";
  return std::string_view(kGif, sizeof kGif - 1);
}

TrackedHtml AddTracking(std::string_view html, std::string_view public_url, bool opens,
                        bool clicks) {
  while (!public_url.empty() && public_url.back() == '/') public_url.remove_suffix(1);
  TrackedHtml result;
  std::string& out = result.html;
  out.reserve(html.size() + 256);
  std::optional<std::size_t> body_close;
  std::size_t pos = 0;
  while (pos < html.size()) {
    const std::size_t lt = html.find('<', pos);
    if (lt == std::string_view::npos) {
      out.append(html.substr(pos));
      break;
    }
    out.append(html.substr(pos, lt - pos));
    if (html.compare(lt, 4, "<!--") == 0) {
      const std::size_t close = html.find("-->", lt + 4);
      const std::size_t end = close == std::string_view::npos ? html.size() : close + 3;
      out.append(html.substr(lt, end - lt));
      pos = end;
      continue;
    }
    const std::size_t end = TagEndAt(html, lt);
    if (end == std::string_view::npos) {
      out.append(html.substr(lt));
      break;
    }
    const std::string name = TagNameAt(html, lt);
    std::string_view tag = html.substr(lt, end - lt);
    pos = end;
    if (name == "script" || name == "style") {
      // Their content is not markup: copy it through to the closing tag untouched.
      const std::size_t close = FindNoCase(html, "</" + name, end);
      const std::size_t stop = close == std::string_view::npos ? html.size() : close;
      out.append(tag).append(html.substr(end, stop - end));
      pos = stop;
      continue;
    }
    if (name == "/body") body_close = out.size();
    std::optional<Span> href;
    if (clicks && name == "a") href = HrefOf(tag);
    std::optional<std::string> url;
    if (href)
      url = TrackableUrl(tag.substr(href->value_begin, href->value_end - href->value_begin));
    if (!url) {
      out.append(tag);
      continue;
    }
    TrackedLink link{static_cast<int>(result.links.size()), std::move(*url), NewToken()};
    out.append(tag.substr(0, href->begin));
    out.append(fmt::format("\"{}/t/c/{}\"", public_url, link.token.value));
    out.append(tag.substr(href->end));
    result.links.push_back(std::move(link));
  }
  if (opens) {
    result.pixel = NewToken();
    const std::string img = fmt::format(
        "<img src=\"{}/t/o/{}.gif\" width=\"1\" height=\"1\" alt=\"\" "
        "style=\"display:block;width:1px;height:1px;border:0\">",
        public_url, result.pixel->value);
    if (body_close) {
      out.insert(*body_close, img);
    } else {
      out.append(img);
    }
  }
  return result;
}

}  // namespace rapport::email
