#pragma once

#include <string>
#include <string_view>

namespace rapport::auth {

// Hashes `password` with Argon2id v1.3 (libsodium crypto_pwhash_str_alg) at the OWASP
// parameters: 2 passes, 19 MiB, with a fresh random salt. Returns the self-describing
// encoded string ("$argon2id$v=19$m=19456,t=2,p=1$..."), which is all VerifyPassword needs.
// Takes tens of milliseconds and 19 MiB; thread-safe. Throws std::runtime_error when memory
// cannot be allocated.
std::string HashPassword(std::string_view password);

// True when `password` matches `encoded` (an Argon2 string from HashPassword or from an
// earlier parameter set). False on mismatch and on any error: empty or malformed `encoded`,
// unsupported algorithm, out of memory. Never throws.
bool VerifyPassword(std::string_view encoded, std::string_view password);

// The hash of a random password, computed on first use and then reused. Verify against it
// when the user does not exist, so that a failed login costs the same time either way.
// Thread-safe.
std::string DummyHash();

}  // namespace rapport::auth
