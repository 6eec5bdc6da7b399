#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace rapport::auth {

// The claims of an access token. JWT names: sub, knd, role, iat, exp, jti.
struct AccessClaims {
  std::string subject;     // user or portal account id
  std::string kind;        // "user" | "portal"
  std::string role;        // staff role; may be empty for portal tokens
  int64_t issued_at = 0;   // Unix seconds
  int64_t expires_at = 0;  // Unix seconds
  std::string token_id;
};

// Signs `claims` as a compact HS256 JWT (libjwt). `secret` must not be empty. Throws
// std::invalid_argument for an empty secret and std::runtime_error if libjwt fails.
std::string SignAccessToken(const AccessClaims& claims, std::string_view secret);

enum class TokenError {
  kMalformed,       // not three base64url parts of JSON objects, or claims missing/mistyped
  kBadSignature,    // HMAC does not match `secret`
  kWrongAlgorithm,  // header "alg" is anything but exactly "HS256" (none, HS512, RS256, absent)
  kExpired,         // now_unix >= exp
};

// Verifies an HS256 access token, in this order: structure and header (alg pinned to HS256,
// read by us before any library sees the token), signature (constant-time HMAC-SHA256 with
// libsodium, then again via libjwt's jwt_decode, which must also report HS256), claims
// (sub, knd, jti non-empty strings; role a string; iat, exp integers), expiry.
// Returns the claims or the first failure. Never throws; thread-safe.
std::variant<AccessClaims, TokenError> VerifyAccessToken(std::string_view token,
                                                         std::string_view secret, int64_t now_unix);

// 32 random bytes as unpadded base64url (43 characters): refresh, verification and
// similar bearer tokens. Store only HashOpaqueToken() of it.
std::string NewOpaqueToken();

// Lowercase hex SHA-256 of `token` (64 characters), the form in which tokens are stored.
std::string HashOpaqueToken(std::string_view token);

// Compares in time independent of the contents (sodium_memcmp). False when the lengths
// differ (the length itself is not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace rapport::auth
