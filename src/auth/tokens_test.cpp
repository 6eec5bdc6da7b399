#include "auth/tokens.hpp"

#include <set>
#include <string>
#include <variant>

#include <gtest/gtest.h>
#include <sodium.h>

#include "core/text.hpp"

namespace rapport::auth {
namespace {

constexpr std::string_view kSecret = "test-secret-that-is-long-enough-0123456789";
constexpr int64_t kIssuedAt = 1'795'344'000;
constexpr int64_t kExpiresAt = kIssuedAt + 900;

AccessClaims SampleClaims() {
  return AccessClaims{.subject = "01890a5d-ac96-774b-bcce-b302099a8057",
                      .kind = "user",
                      .role = "admin",
                      .issued_at = kIssuedAt,
                      .expires_at = kExpiresAt,
                      .token_id = "01890a5d-ac96-774b-bcce-b302099a8058"};
}

std::string B64(std::string_view s) { return core::Base64UrlEncode(s); }

// Raw HMAC-SHA256, to forge correctly signed tokens around hand-written payloads.
std::string HmacSha256ForTest(std::string_view message, std::string_view key) {
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

struct Parts {
  std::string header, payload, signature;
};

Parts Split(const std::string& token) {
  const size_t a = token.find('.');
  const size_t b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

std::string Join(const Parts& p) { return p.header + "." + p.payload + "." + p.signature; }

std::string ResultName(const std::variant<AccessClaims, TokenError>& result) {
  if (std::holds_alternative<AccessClaims>(result)) return "ok";
  switch (std::get<TokenError>(result)) {
    case TokenError::kMalformed:
      return "malformed";
    case TokenError::kBadSignature:
      return "bad_signature";
    case TokenError::kWrongAlgorithm:
      return "wrong_algorithm";
    case TokenError::kExpired:
      return "expired";
  }
  return "?";
}

TEST(AccessTokenTest, RoundTrips) {
  const std::string token = SignAccessToken(SampleClaims(), kSecret);
  const auto result = VerifyAccessToken(token, kSecret, kIssuedAt + 1);
  ASSERT_TRUE(std::holds_alternative<AccessClaims>(result)) << ResultName(result);
  const auto& claims = std::get<AccessClaims>(result);
  EXPECT_EQ(claims.subject, SampleClaims().subject);
  EXPECT_EQ(claims.kind, "user");
  EXPECT_EQ(claims.role, "admin");
  EXPECT_EQ(claims.issued_at, kIssuedAt);
  EXPECT_EQ(claims.expires_at, kExpiresAt);
  EXPECT_EQ(claims.token_id, SampleClaims().token_id);
}

TEST(AccessTokenTest, PortalTokenWithEmptyRoleRoundTrips) {
  AccessClaims portal = SampleClaims();
  portal.kind = "portal";
  portal.role = "";
  const auto result = VerifyAccessToken(SignAccessToken(portal, kSecret), kSecret, kIssuedAt);
  ASSERT_TRUE(std::holds_alternative<AccessClaims>(result)) << ResultName(result);
  EXPECT_EQ(std::get<AccessClaims>(result).kind, "portal");
  EXPECT_EQ(std::get<AccessClaims>(result).role, "");
}

TEST(AccessTokenTest, HeaderIsHs256) {
  const Parts parts = Split(SignAccessToken(SampleClaims(), kSecret));
  const auto header = core::Base64UrlDecode(parts.header);
  ASSERT_TRUE(header);
  EXPECT_NE(header->find("\"alg\":\"HS256\""), std::string::npos) << *header;
}

TEST(AccessTokenTest, SignRejectsEmptySecret) {
  EXPECT_THROW(SignAccessToken(SampleClaims(), ""), std::invalid_argument);
}

TEST(AccessTokenTest, VerifyTable) {
  const std::string good = SignAccessToken(SampleClaims(), kSecret);
  const Parts parts = Split(good);
  const std::string claims_json =
      R"({"sub":"u1","knd":"user","role":"admin","iat":1795344000,"exp":1795344900,"jti":"t1"})";

  // A payload that claims more, with the original signature.
  Parts escalated = parts;
  escalated.payload = B64(R"({"sub":"u1","knd":"user","role":"owner","iat":1795344000,)"
                          R"("exp":1795344900,"jti":"t1"})");
  // One flipped character in the payload.
  Parts flipped = parts;
  flipped.payload[5] = flipped.payload[5] == 'A' ? 'B' : 'A';
  // Signature of a different length or alphabet.
  Parts short_signature = parts;
  short_signature.signature.pop_back();

  // Tokens signed with kSecret but with claims missing or mistyped.
  AccessClaims no_subject = SampleClaims();
  no_subject.subject = "";

  struct Case {
    std::string name;
    std::string token;
    int64_t now;
    std::string expected;
  };
  const Case cases[] = {
      {"good", good, kIssuedAt, "ok"},
      {"good just before expiry", good, kExpiresAt - 1, "ok"},
      {"expired at exp", good, kExpiresAt, "expired"},
      {"expired after exp", good, kExpiresAt + 3600, "expired"},
      {"escalated payload", Join(escalated), kIssuedAt, "bad_signature"},
      {"flipped payload", Join(flipped), kIssuedAt, "bad_signature"},
      {"short signature", Join(short_signature), kIssuedAt, "bad_signature"},
      {"empty signature", parts.header + "." + parts.payload + ".", kIssuedAt, "bad_signature"},
      {"alg none", B64(R"({"alg":"none","typ":"JWT"})") + "." + B64(claims_json) + ".", kIssuedAt,
       "wrong_algorithm"},
      {"alg None", B64(R"({"alg":"None"})") + "." + B64(claims_json) + ".", kIssuedAt,
       "wrong_algorithm"},
      {"alg hs256 lowercase",
       B64(R"({"alg":"hs256"})") + "." + parts.payload + "." + parts.signature, kIssuedAt,
       "wrong_algorithm"},
      {"alg HS512",
       B64(R"({"alg":"HS512","typ":"JWT"})") + "." + parts.payload + "." + parts.signature,
       kIssuedAt, "wrong_algorithm"},
      {"alg RS256",
       B64(R"({"alg":"RS256","typ":"JWT"})") + "." + parts.payload + "." + parts.signature,
       kIssuedAt, "wrong_algorithm"},
      {"alg missing", B64(R"({"typ":"JWT"})") + "." + parts.payload + "." + parts.signature,
       kIssuedAt, "wrong_algorithm"},
      {"alg not a string", B64(R"({"alg":256})") + "." + parts.payload + "." + parts.signature,
       kIssuedAt, "wrong_algorithm"},
      {"empty", "", kIssuedAt, "malformed"},
      {"garbage", "garbage", kIssuedAt, "malformed"},
      {"three garbage parts", "a.b.c", kIssuedAt, "malformed"},
      {"two parts", parts.header + "." + parts.payload, kIssuedAt, "malformed"},
      {"four parts", good + ".x", kIssuedAt, "malformed"},
      {"header not json", B64("{alg:HS256}") + "." + parts.payload + "." + parts.signature,
       kIssuedAt, "malformed"},
      {"header not an object", B64(R"(["HS256"])") + "." + parts.payload + "." + parts.signature,
       kIssuedAt, "malformed"},
      {"bearer prefix", "Bearer " + good, kIssuedAt, "malformed"},
      {"whitespace", good + " ", kIssuedAt, "bad_signature"},
      {"empty subject", SignAccessToken(no_subject, kSecret), kIssuedAt, "malformed"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ResultName(VerifyAccessToken(c.token, kSecret, c.now)), c.expected) << c.name;
  }
}

TEST(AccessTokenTest, WrongSecretIsBadSignature) {
  const std::string token = SignAccessToken(SampleClaims(), kSecret);
  EXPECT_EQ(ResultName(VerifyAccessToken(token, "another-secret", kIssuedAt)), "bad_signature");
  EXPECT_EQ(ResultName(VerifyAccessToken(token, "", kIssuedAt)), "bad_signature");
}

TEST(AccessTokenTest, SignedPayloadsWithMissingOrMistypedClaimsAreMalformed) {
  const std::string hs256 = B64(R"({"alg":"HS256","typ":"JWT"})");
  struct Case {
    const char* payload;
  };
  const Case cases[] = {
      {R"({"knd":"user","role":"a","iat":1,"exp":1795344900,"jti":"t"})"},    // no sub
      {R"({"sub":"u","role":"a","iat":1,"exp":1795344900,"jti":"t"})"},       // no knd
      {R"({"sub":"u","knd":"user","iat":1,"exp":1795344900,"jti":"t"})"},     // no role
      {R"({"sub":"u","knd":"user","role":"a","exp":1795344900,"jti":"t"})"},  // no iat
      {R"({"sub":"u","knd":"user","role":"a","iat":1,"jti":"t"})"},           // no exp
      {R"({"sub":"u","knd":"user","role":"a","iat":1,"exp":1795344900})"},    // no jti
      {R"({"sub":"u","knd":"user","role":"a","iat":1,"exp":"1795344900","jti":"t"})"},
      {R"({"sub":"u","knd":"user","role":"a","iat":1,"exp":1795344900.5,"jti":"t"})"},
      {R"({"sub":7,"knd":"user","role":"a","iat":1,"exp":1795344900,"jti":"t"})"},
      {R"({"sub":"u","knd":"user","role":null,"iat":1,"exp":1795344900,"jti":"t"})"},
  };
  for (const auto& c : cases) {
    const std::string signed_part = hs256 + "." + B64(c.payload);
    const std::string token = signed_part + "." + B64(HmacSha256ForTest(signed_part, kSecret));
    EXPECT_EQ(ResultName(VerifyAccessToken(token, kSecret, kIssuedAt)), "malformed") << c.payload;
  }
}

TEST(OpaqueTokenTest, Is43Base64UrlCharsOf32RandomBytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string token = NewOpaqueToken();
    ASSERT_EQ(token.size(), 43u);
    const auto bytes = core::Base64UrlDecode(token);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(bytes->size(), 32u);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(HashOpaqueTokenTest, Table) {
  struct Case {
    const char* input;
    const char* sha256_hex;
  };
  const Case cases[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(HashOpaqueToken(c.input), c.sha256_hex) << c.input;
  }
}

TEST(ConstantTimeEqualsTest, Table) {
  struct Case {
    const char* a;
    const char* b;
    bool equal;
  };
  const Case cases[] = {
      {"", "", true},       {"abc", "abc", true}, {"abc", "abd", false},
      {"abc", "ab", false}, {"", "a", false},     {"abc", "ABC", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ConstantTimeEquals(c.a, c.b), c.equal) << c.a << " vs " << c.b;
  }
}

}  // namespace
}  // namespace rapport::auth
