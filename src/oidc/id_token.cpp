#include "oidc/id_token.hpp"

#include <memory>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace rapport::oidc {

namespace {

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, Free<BIGNUM, BN_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Free<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Free<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Free<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;

std::optional<nlohmann::json> DecodeJsonObject(std::string_view part) {
  const auto bytes = core::Base64UrlDecode(part);
  if (!bytes) return std::nullopt;
  auto json = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  return json;
}

struct Parts {
  std::string_view header, payload, signature;
};
std::optional<Parts> Split(std::string_view token) {
  const size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  Parts parts{token.substr(0, first), token.substr(first + 1, second - first - 1),
              token.substr(second + 1)};
  if (parts.header.empty() || parts.payload.empty()) return std::nullopt;
  return parts;
}

std::optional<int64_t> Integer(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return std::nullopt;
    }
    return it->get<int64_t>();
  }
  if (it->is_number_float()) {  // NumericDate may carry fractions
    const double value = it->get<double>();
    if (value > -9e15 && value < 9e15) return static_cast<int64_t>(value);
  }
  return std::nullopt;
}

std::optional<std::string> String(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::variant<IdClaims, IdTokenError> Verify(std::string_view token, const std::string& pem,
                                            const Expected& expected, int64_t now) {
  auto header = ReadIdTokenHeader(token);
  if (auto* error = std::get_if<IdTokenError>(&header)) return *error;
  const Parts parts = *Split(token);
  if (pem.empty()) return IdTokenError::kUnknownKey;

  // libjwt checks the RS256 signature against the PEM key; the algorithm was
  // pinned above, and libjwt must read the same one (an HS256 token "signed"
  // with the public key as an HMAC secret never gets this far).
  const std::string terminated(token);
  jwt_t* raw = nullptr;
  const int rc =
      jwt_decode(&raw, terminated.c_str(), reinterpret_cast<const unsigned char*>(pem.data()),
                 static_cast<int>(pem.size()));
  std::unique_ptr<jwt_t, JwtDeleter> jwt(raw);
  if (rc != 0 || !jwt) return IdTokenError::kBadSignature;
  if (jwt_get_alg(jwt.get()) != JWT_ALG_RS256) return IdTokenError::kWrongAlgorithm;

  const auto claims = DecodeJsonObject(parts.payload);
  if (!claims) return IdTokenError::kMalformed;

  if (String(*claims, "iss") != expected.issuer) return IdTokenError::kWrongIssuer;

  const auto aud = claims->find("aud");
  if (aud == claims->end()) return IdTokenError::kWrongAudience;
  if (aud->is_string()) {
    if (aud->get<std::string>() != expected.client_id) return IdTokenError::kWrongAudience;
  } else if (aud->is_array()) {
    bool found = false;
    for (const auto& entry : *aud) {
      if (!entry.is_string()) return IdTokenError::kMalformed;
      found = found || entry.get<std::string>() == expected.client_id;
    }
    if (!found) return IdTokenError::kWrongAudience;
    // With several audiences, the token must say it was issued to us (OIDC
    // Core 3.1.3.7).
    if (aud->size() > 1 && String(*claims, "azp") != expected.client_id) {
      return IdTokenError::kWrongAudience;
    }
  } else {
    return IdTokenError::kMalformed;
  }
  if (auto azp = String(*claims, "azp"); azp && *azp != expected.client_id) {
    return IdTokenError::kWrongAudience;
  }

  const auto exp = Integer(*claims, "exp");
  const auto iat = Integer(*claims, "iat");
  if (!exp || !iat) return IdTokenError::kMalformed;
  if (now >= *exp + kClockLeewaySeconds) return IdTokenError::kExpired;
  if (*iat > now + kClockLeewaySeconds) return IdTokenError::kIssuedInFuture;

  const auto nonce = String(*claims, "nonce");
  if (!nonce || expected.nonce.empty() || *nonce != expected.nonce)
    return IdTokenError::kWrongNonce;

  IdClaims out;
  auto sub = String(*claims, "sub");
  if (!sub || sub->empty()) return IdTokenError::kMalformed;
  out.subject = std::move(*sub);

  auto email = String(*claims, "email");
  const auto verified = claims->find("email_verified");
  const bool email_verified = verified != claims->end() &&
                              ((verified->is_boolean() && verified->get<bool>()) ||
                               (verified->is_string() && verified->get<std::string>() == "true"));
  if (!email || email->empty() || !email_verified) return IdTokenError::kNoVerifiedEmail;
  out.email = std::move(*email);
  return out;
}

}  // namespace

std::string_view Describe(IdTokenError error) {
  switch (error) {
    case IdTokenError::kMalformed:
      return "the ID token is malformed";
    case IdTokenError::kWrongAlgorithm:
      return "the ID token is not signed with RS256";
    case IdTokenError::kUnknownKey:
      return "the ID token is signed with a key the provider does not publish";
    case IdTokenError::kBadSignature:
      return "the ID token's signature does not verify";
    case IdTokenError::kWrongIssuer:
      return "the ID token comes from another issuer";
    case IdTokenError::kWrongAudience:
      return "the ID token was issued to another client";
    case IdTokenError::kExpired:
      return "the ID token has expired";
    case IdTokenError::kIssuedInFuture:
      return "the ID token is issued in the future";
    case IdTokenError::kWrongNonce:
      return "the ID token's nonce does not match this sign-in";
    case IdTokenError::kNoVerifiedEmail:
      return "the provider did not vouch for the email address (email_verified)";
  }
  return "the ID token is not valid";
}

std::variant<IdTokenHeader, IdTokenError> ReadIdTokenHeader(std::string_view token) {
  const auto parts = Split(token);
  if (!parts) return IdTokenError::kMalformed;
  const auto header = DecodeJsonObject(parts->header);
  if (!header) return IdTokenError::kMalformed;
  const auto alg = String(*header, "alg");
  if (alg != "RS256") return IdTokenError::kWrongAlgorithm;
  if (parts->signature.empty()) return IdTokenError::kBadSignature;
  IdTokenHeader out;
  if (header->contains("kid")) {
    auto kid = String(*header, "kid");
    if (!kid) return IdTokenError::kMalformed;
    out.kid = std::move(*kid);
  }
  return out;
}

std::variant<IdClaims, IdTokenError> VerifyIdToken(std::string_view token, const std::string& pem,
                                                   const Expected& expected, int64_t now_unix) {
  try {
    return Verify(token, pem, expected, now_unix);
  } catch (const std::exception&) {
    return IdTokenError::kMalformed;  // only allocation failures get here
  }
}

std::optional<std::string> RsaPemFromJwk(std::string_view n, std::string_view e) {
  const auto modulus = core::Base64UrlDecode(n);
  const auto exponent = core::Base64UrlDecode(e);
  if (!modulus || !exponent || modulus->empty() || exponent->empty() || exponent->size() > 8) {
    return std::nullopt;
  }
  BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(modulus->data()),
                       static_cast<int>(modulus->size()), nullptr));
  BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(exponent->data()),
                       static_cast<int>(exponent->size()), nullptr));
  if (!bn_n || !bn_e || BN_num_bits(bn_n.get()) < 2048 || BN_is_zero(bn_e.get())) {
    return std::nullopt;
  }
  ParamBldPtr build(OSSL_PARAM_BLD_new());
  if (!build || !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return std::nullopt;
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(build.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return std::nullopt;
  }
  PkeyPtr key(raw);
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) return std::nullopt;
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) return std::nullopt;
  return std::string(data, static_cast<size_t>(size));
}

KeySet ParseJwks(std::string_view json) {
  KeySet keys;
  const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) return keys;
  for (const auto& jwk : doc["keys"]) {
    if (!jwk.is_object()) continue;
    if (String(jwk, "kty") != "RSA") continue;
    if (jwk.contains("use") && String(jwk, "use") != "sig") continue;
    if (jwk.contains("alg") && String(jwk, "alg") != "RS256") continue;
    const auto n = String(jwk, "n");
    const auto e = String(jwk, "e");
    if (!n || !e) continue;
    std::string kid;
    if (jwk.contains("kid")) {
      auto value = String(jwk, "kid");
      if (!value) continue;
      kid = std::move(*value);
    }
    if (auto pem = RsaPemFromJwk(*n, *e)) keys.emplace(std::move(kid), std::move(*pem));
  }
  return keys;
}

}  // namespace rapport::oidc
