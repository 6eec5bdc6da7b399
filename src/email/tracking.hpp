#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::email {

// A tracking token: 32 random bytes as base64url text (43 characters), unguessable. Only
// its hash is stored, so the database alone does not give working tracking URLs.
struct Token {
  std::string value;  // goes into the URL
  std::string hash;   // stored: HashToken(value)
};

// A new random token. Thread-safe.
Token NewToken();
// BLAKE2b-256 of `value`, as 64 lower-case hex characters.
std::string HashToken(std::string_view value);
// Whether `text` has the shape of a token (43 base64url characters).
bool IsTokenShaped(std::string_view text);

// The 1×1 transparent GIF the open pixel answers with.
std::string_view PixelGif();

// A link of the HTML part that was rewritten to the click endpoint.
struct TrackedLink {
  int position = 0;  // 0, 1, ... in document order
  std::string url;   // where the click endpoint redirects: the href, decoded
  Token token;
};

// The HTML part as sent, and what the tracking in it needs stored.
struct TrackedHtml {
  std::string html;
  std::vector<TrackedLink> links;
  std::optional<Token> pixel;
};

// Adds tracking to `html`. With `clicks`, every `<a href>` whose URL is absolute http(s)
// points to `{public_url}/t/c/{token}` instead (one token per link; mailto:, anchors and
// relative URLs stay); the recorded URL is the href with HTML character references decoded,
// surrounding whitespace removed, and every byte outside printable ASCII percent-encoded.
// With `opens`, an `<img>` of `{public_url}/t/o/{token}.gif` goes before the last
// `</body>` (or at the end). Comments, scripts and styles are left alone.
TrackedHtml AddTracking(std::string_view html, std::string_view public_url, bool opens,
                        bool clicks);

}  // namespace rapport::email
