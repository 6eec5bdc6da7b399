#include "auth/tokens.hpp"

#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include <jwt.h>
#include <sodium.h>

#include "core/sodium.hpp"
#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace rapport::auth {
namespace {

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }  // libjwt 1.10 strings come from malloc
};
using CString = std::unique_ptr<char, FreeDeleter>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

void Check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string("libjwt: ") + what + " failed");
}

// Parses base64url-encoded JSON; nullopt unless it is a JSON object.
std::optional<nlohmann::json> DecodeJsonObject(std::string_view part) {
  const auto bytes = core::Base64UrlDecode(part);
  if (!bytes) return std::nullopt;
  auto json = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  return json;
}

bool HmacMatches(std::string_view signed_part, std::string_view signature_b64,
                 std::string_view secret) {
  const auto signature = core::Base64UrlDecode(signature_b64);
  if (!signature || signature->size() != crypto_auth_hmacsha256_BYTES) return false;
  crypto_auth_hmacsha256_state state;
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> expected{};
  crypto_auth_hmacsha256_init(&state, Bytes(secret), secret.size());
  crypto_auth_hmacsha256_update(&state, Bytes(signed_part), signed_part.size());
  crypto_auth_hmacsha256_final(&state, expected.data());
  sodium_memzero(&state, sizeof state);
  return crypto_verify_32(expected.data(), Bytes(*signature)) == 0;
}

const nlohmann::json* Field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

bool ReadString(const nlohmann::json& grants, const char* name, bool non_empty, std::string& out) {
  const auto* value = Field(grants, name);
  if (value == nullptr || !value->is_string()) return false;
  out = value->get<std::string>();
  return !non_empty || !out.empty();
}

bool ReadInteger(const nlohmann::json& grants, const char* name, int64_t& out) {
  const auto* value = Field(grants, name);
  if (value == nullptr || !value->is_number_integer()) return false;
  if (value->is_number_unsigned() && value->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return false;
  }
  out = value->get<int64_t>();
  return true;
}

std::variant<AccessClaims, TokenError> Verify(std::string_view token, std::string_view secret,
                                              int64_t now_unix) {
  const size_t first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return TokenError::kMalformed;
  const size_t second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return TokenError::kMalformed;
  }
  const std::string_view header_b64 = token.substr(0, first_dot);
  const std::string_view payload_b64 = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_b64 = token.substr(second_dot + 1);

  // Pin the algorithm before anything else trusts the header.
  const auto header = DecodeJsonObject(header_b64);
  if (!header) return TokenError::kMalformed;
  const auto* alg = Field(*header, "alg");
  if (alg == nullptr || !alg->is_string() || alg->get<std::string>() != "HS256") {
    return TokenError::kWrongAlgorithm;
  }
  if (payload_b64.empty()) return TokenError::kMalformed;

  if (secret.empty() || !HmacMatches(token.substr(0, second_dot), signature_b64, secret)) {
    return TokenError::kBadSignature;
  }

  // Our HMAC check passed; libjwt must agree (signature and HS256) before claims are read.
  const std::string terminated(token);
  jwt_t* raw = nullptr;
  const int rc =
      jwt_decode(&raw, terminated.c_str(), Bytes(secret), static_cast<int>(secret.size()));
  JwtPtr jwt(raw);
  if (rc != 0 || !jwt) return TokenError::kMalformed;
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return TokenError::kWrongAlgorithm;

  const CString grants_text(jwt_get_grants_json(jwt.get(), nullptr));
  if (!grants_text) return TokenError::kMalformed;
  const auto grants = nlohmann::json::parse(grants_text.get(), nullptr, false);
  if (!grants.is_object()) return TokenError::kMalformed;

  AccessClaims claims;
  if (!ReadString(grants, "sub", true, claims.subject) ||
      !ReadString(grants, "knd", true, claims.kind) ||
      !ReadString(grants, "role", false, claims.role) ||
      !ReadString(grants, "jti", true, claims.token_id) ||
      !ReadInteger(grants, "iat", claims.issued_at) ||
      !ReadInteger(grants, "exp", claims.expires_at)) {
    return TokenError::kMalformed;
  }
  if (now_unix >= claims.expires_at) return TokenError::kExpired;
  return claims;
}

}  // namespace

std::string SignAccessToken(const AccessClaims& claims, std::string_view secret) {
  if (secret.empty()) throw std::invalid_argument("access token secret must not be empty");
  jwt_t* raw = nullptr;
  Check(jwt_new(&raw), "jwt_new");
  JwtPtr jwt(raw);
  Check(jwt_add_grant(jwt.get(), "sub", claims.subject.c_str()), "add sub");
  Check(jwt_add_grant(jwt.get(), "knd", claims.kind.c_str()), "add knd");
  Check(jwt_add_grant(jwt.get(), "role", claims.role.c_str()), "add role");
  Check(jwt_add_grant_int(jwt.get(), "iat", claims.issued_at), "add iat");
  Check(jwt_add_grant_int(jwt.get(), "exp", claims.expires_at), "add exp");
  Check(jwt_add_grant(jwt.get(), "jti", claims.token_id.c_str()), "add jti");
  Check(jwt_set_alg(jwt.get(), JWT_ALG_HS256, Bytes(secret), static_cast<int>(secret.size())),
        "jwt_set_alg");
  const CString encoded(jwt_encode_str(jwt.get()));
  if (!encoded) throw std::runtime_error("libjwt: jwt_encode_str failed");
  return std::string(encoded.get());
}

std::variant<AccessClaims, TokenError> VerifyAccessToken(std::string_view token,
                                                         std::string_view secret,
                                                         int64_t now_unix) {
  try {
    core::EnsureSodium();
    return Verify(token, secret, now_unix);
  } catch (const std::exception&) {
    // Only allocation failures or a broken libsodium can get here; refuse the token.
    return TokenError::kMalformed;
  }
}

std::string NewOpaqueToken() {
  core::EnsureSodium();
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  return core::Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string HashOpaqueToken(std::string_view token) {
  core::EnsureSodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), Bytes(token), token.size());
  std::string hex(digest.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hex.pop_back();
  return hex;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  core::EnsureSodium();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace rapport::auth
