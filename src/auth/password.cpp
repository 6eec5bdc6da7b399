#include "auth/password.hpp"

#include <array>
#include <mutex>
#include <stdexcept>

#include <sodium.h>

#include "core/sodium.hpp"

namespace rapport::auth {
namespace {

constexpr unsigned long long kOpsLimit = 2;
constexpr size_t kMemLimit = size_t{19} * 1024 * 1024;

}  // namespace

std::string HashPassword(std::string_view password) {
  core::EnsureSodium();
  std::array<char, crypto_pwhash_STRBYTES> encoded{};
  if (crypto_pwhash_str_alg(encoded.data(), password.data(), password.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return std::string(encoded.data());
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  try {
    core::EnsureSodium();
  } catch (const std::exception&) {
    return false;
  }
  if (encoded.empty() || encoded.size() >= crypto_pwhash_STRBYTES) return false;
  // libsodium reads `encoded` as a C string: copy it so it is NUL-terminated, and refuse
  // embedded NULs that would truncate it.
  if (encoded.find('\0') != std::string_view::npos) return false;
  const std::string terminated(encoded);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

std::string DummyHash() {
  static const std::string hash = [] {
    core::EnsureSodium();
    std::array<unsigned char, 32> random{};
    randombytes_buf(random.data(), random.size());
    return HashPassword(
        std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
  }();
  return hash;
}

}  // namespace rapport::auth
