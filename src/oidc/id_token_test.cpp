#include "oidc/id_token.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace rapport::oidc {
namespace {

constexpr int64_t kNow = 1'800'000'000;

// An RSA key of the test's own, with its JWK and PEM forms.
class TestKey {
 public:
  TestKey() : key_(EVP_RSA_gen(2048)) {}
  ~TestKey() { EVP_PKEY_free(key_); }

  std::string Component(const char* name) const {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key_, name, &bn);
    std::string bytes(BN_num_bytes(bn), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
    BN_free(bn);
    return core::Base64UrlEncode(bytes);
  }
  nlohmann::json Jwk(const std::string& kid) const {
    return {{"kty", "RSA"},
            {"kid", kid},
            {"use", "sig"},
            {"alg", "RS256"},
            {"n", Component(OSSL_PKEY_PARAM_RSA_N)},
            {"e", Component(OSSL_PKEY_PARAM_RSA_E)}};
  }
  std::string Pem() const {
    return *RsaPemFromJwk(Component(OSSL_PKEY_PARAM_RSA_N), Component(OSSL_PKEY_PARAM_RSA_E));
  }
  std::string Sign(const nlohmann::json& header, const nlohmann::json& claims) const {
    const std::string input =
        core::Base64UrlEncode(header.dump()) + "." + core::Base64UrlEncode(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_);
    size_t size = 0;
    EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string signature(size, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    signature.resize(size);
    return input + "." + core::Base64UrlEncode(signature);
  }

 private:
  EVP_PKEY* key_;
};

nlohmann::json GoodClaims() {
  return {{"iss", "https://idp.example"},
          {"aud", "client-1"},
          {"sub", "1234"},
          {"email", "Ada@Example.com"},
          {"email_verified", true},
          {"nonce", "n-1"},
          {"iat", kNow - 10},
          {"exp", kNow + 300}};
}

const Expected kExpected{"https://idp.example", "client-1", "n-1"};
const nlohmann::json kHeader = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "k1"}};

class IdTokenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new TestKey();
    other_ = new TestKey();
  }
  static void TearDownTestSuite() {
    delete key_;
    delete other_;
  }
  static std::variant<IdClaims, IdTokenError> Check(const std::string& token) {
    return VerifyIdToken(token, key_->Pem(), kExpected, kNow);
  }
  static TestKey* key_;
  static TestKey* other_;
};
TestKey* IdTokenTest::key_ = nullptr;
TestKey* IdTokenTest::other_ = nullptr;

TEST_F(IdTokenTest, AcceptsAGoodToken) {
  auto result = Check(key_->Sign(kHeader, GoodClaims()));
  ASSERT_TRUE(std::holds_alternative<IdClaims>(result));
  EXPECT_EQ(std::get<IdClaims>(result).email, "Ada@Example.com");
  EXPECT_EQ(std::get<IdClaims>(result).subject, "1234");
  auto header = ReadIdTokenHeader(key_->Sign(kHeader, GoodClaims()));
  ASSERT_TRUE(std::holds_alternative<IdTokenHeader>(header));
  EXPECT_EQ(std::get<IdTokenHeader>(header).kid, "k1");
}

TEST_F(IdTokenTest, RefusesEachBadClaim) {
  struct Case {
    const char* name;
    nlohmann::json patch;
    IdTokenError error;
  };
  const std::vector<Case> cases = {
      {"issuer", {{"iss", "https://evil.example"}}, IdTokenError::kWrongIssuer},
      {"audience", {{"aud", "client-2"}}, IdTokenError::kWrongAudience},
      {"audience list without us", {{"aud", {"a", "b"}}}, IdTokenError::kWrongAudience},
      {"several audiences without azp", {{"aud", {"client-1", "b"}}}, IdTokenError::kWrongAudience},
      {"azp of another client", {{"azp", "client-2"}}, IdTokenError::kWrongAudience},
      {"expired", {{"exp", kNow - kClockLeewaySeconds - 1}}, IdTokenError::kExpired},
      {"issued in the future",
       {{"iat", kNow + kClockLeewaySeconds + 5}},
       IdTokenError::kIssuedInFuture},
      {"nonce", {{"nonce", "n-2"}}, IdTokenError::kWrongNonce},
      {"no nonce", {{"nonce", nullptr}}, IdTokenError::kWrongNonce},
      {"unverified email", {{"email_verified", false}}, IdTokenError::kNoVerifiedEmail},
      {"email_verified missing", {{"email_verified", nullptr}}, IdTokenError::kNoVerifiedEmail},
      {"no email", {{"email", nullptr}}, IdTokenError::kNoVerifiedEmail},
      {"exp not a number", {{"exp", "soon"}}, IdTokenError::kMalformed},
      {"no sub", {{"sub", nullptr}}, IdTokenError::kMalformed},
  };
  for (const Case& c : cases) {
    nlohmann::json claims = GoodClaims();
    for (auto& [key, value] : c.patch.items()) {
      if (value.is_null()) {
        claims.erase(key);
      } else {
        claims[key] = value;
      }
    }
    auto result = Check(key_->Sign(kHeader, claims));
    ASSERT_TRUE(std::holds_alternative<IdTokenError>(result)) << c.name;
    EXPECT_EQ(std::get<IdTokenError>(result), c.error) << c.name;
  }
}

TEST_F(IdTokenTest, AcceptsWithinTheLeewayAndTheStringTrue) {
  nlohmann::json claims = GoodClaims();
  claims["exp"] = kNow - kClockLeewaySeconds + 1;
  claims["iat"] = kNow + kClockLeewaySeconds - 1;
  claims["email_verified"] = "true";
  claims["aud"] = {"client-1", "other"};
  claims["azp"] = "client-1";
  EXPECT_TRUE(std::holds_alternative<IdClaims>(Check(key_->Sign(kHeader, claims))));
}

TEST_F(IdTokenTest, RefusesForgedSignaturesAndOtherAlgorithms) {
  // Signed by another key under the same kid.
  auto forged = Check(other_->Sign(kHeader, GoodClaims()));
  EXPECT_EQ(std::get<IdTokenError>(forged), IdTokenError::kBadSignature);

  // A changed payload under the original signature.
  std::string token = key_->Sign(kHeader, GoodClaims());
  nlohmann::json changed = GoodClaims();
  changed["email"] = "mallory@example.com";
  const size_t first = token.find('.'), second = token.rfind('.');
  std::string tampered =
      token.substr(0, first + 1) + core::Base64UrlEncode(changed.dump()) + token.substr(second);
  EXPECT_EQ(std::get<IdTokenError>(Check(tampered)), IdTokenError::kBadSignature);

  // HS256 with the public key as the HMAC secret (the classic confusion
  // attack).
  const std::string pem = key_->Pem();
  const std::string input = core::Base64UrlEncode(R"({"alg":"HS256","typ":"JWT","kid":"k1"})") +
                            "." + core::Base64UrlEncode(GoodClaims().dump());
  unsigned char mac[32];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), pem.data(), static_cast<int>(pem.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_size);
  const std::string hs256 =
      input + "." + core::Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), mac_size));
  EXPECT_EQ(std::get<IdTokenError>(Check(hs256)), IdTokenError::kWrongAlgorithm);

  // alg none, with and without a signature part.
  const std::string none = core::Base64UrlEncode(R"({"alg":"none"})") + "." +
                           core::Base64UrlEncode(GoodClaims().dump()) + ".";
  EXPECT_EQ(std::get<IdTokenError>(Check(none)), IdTokenError::kWrongAlgorithm);
  const std::string rs_unsigned = core::Base64UrlEncode(R"({"alg":"RS256"})") + "." +
                                  core::Base64UrlEncode(GoodClaims().dump()) + ".";
  EXPECT_EQ(std::get<IdTokenError>(Check(rs_unsigned)), IdTokenError::kBadSignature);

  // Structure.
  for (const char* bad : {"", "a.b", "a.b.c.d", "!!.??.xx", "e30.e30.e30"}) {
    auto result = Check(bad);
    ASSERT_TRUE(std::holds_alternative<IdTokenError>(result)) << bad;
  }
}

TEST_F(IdTokenTest, JwksKeepsOnlyRs256SigningKeys) {
  nlohmann::json weak = key_->Jwk("weak");
  weak["n"] = core::Base64UrlEncode(std::string(128, '\x7f'));  // 1024 bits
  nlohmann::json enc = key_->Jwk("enc");
  enc["use"] = "enc";
  nlohmann::json es = {{"kty", "EC"}, {"kid", "ec"}, {"crv", "P-256"}, {"x", "AA"}, {"y", "AA"}};
  nlohmann::json broken = key_->Jwk("broken");
  broken["n"] = "***";
  const nlohmann::json jwks = {
      {"keys", {key_->Jwk("k1"), other_->Jwk("k2"), weak, enc, es, broken}}};
  KeySet keys = ParseJwks(jwks.dump());
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys["k1"], key_->Pem());
  EXPECT_EQ(keys["k2"], other_->Pem());
  EXPECT_TRUE(ParseJwks("not json").empty());
  EXPECT_TRUE(ParseJwks(R"({"keys": 3})").empty());
}

}  // namespace
}  // namespace rapport::oidc
