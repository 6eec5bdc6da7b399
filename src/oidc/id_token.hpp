#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace rapport::oidc {

constexpr int64_t kClockLeewaySeconds = 60;

// The RSA signing keys of a JWKS document, as PEM public keys by `kid` ("" for
// a key without one). Keys that are not RSA, not for signatures (`use` other
// than "sig"), meant for another algorithm than RS256, malformed or shorter
// than 2048 bits are left out.
using KeySet = std::map<std::string, std::string>;
KeySet ParseJwks(std::string_view json);

// The PEM (SubjectPublicKeyInfo) of the RSA key with base64url modulus `n` and
// exponent `e` (OpenSSL); nullopt when they do not decode or the modulus is
// under 2048 bits.
std::optional<std::string> RsaPemFromJwk(std::string_view n, std::string_view e);

enum class IdTokenError {
  kMalformed,        // not three base64url parts of JSON objects, or a claim of the
                     // wrong type
  kWrongAlgorithm,   // header "alg" is anything but exactly "RS256"
  kUnknownKey,       // no key of the provider's JWKS has the token's kid
  kBadSignature,     // the RS256 signature does not verify with that key
  kWrongIssuer,      // iss is not the provider's issuer
  kWrongAudience,    // aud does not contain the client id (or azp names another
                     // client)
  kExpired,          // exp (plus leeway) has passed
  kIssuedInFuture,   // iat is later than now plus leeway
  kWrongNonce,       // nonce is not the one sent with this sign-in
  kNoVerifiedEmail,  // email missing, or email_verified not true
};
// A sentence for problem documents (says which check failed, never the token).
std::string_view Describe(IdTokenError error);

// The header of a compact JWS, read before any key is chosen: alg pinned to
// RS256.
struct IdTokenHeader {
  std::string kid;  // "" when the header has none
};
std::variant<IdTokenHeader, IdTokenError> ReadIdTokenHeader(std::string_view token);

struct Expected {
  std::string issuer;
  std::string client_id;
  std::string nonce;
};

struct IdClaims {
  std::string subject;
  std::string email;
};

// Verifies an OIDC ID token, in this order: header (RS256 only), signature with
// `pem` (libjwt, which must report RS256 too), then the claims: iss, aud (and
// azp when there are several audiences), exp and iat with kClockLeewaySeconds
// of leeway, nonce, sub, and a verified email (email_verified true, or the
// string "true" some providers send). Never throws; thread-safe.
std::variant<IdClaims, IdTokenError> VerifyIdToken(std::string_view token, const std::string& pem,
                                                   const Expected& expected, int64_t now_unix);

}  // namespace rapport::oidc
