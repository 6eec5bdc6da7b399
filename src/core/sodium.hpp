#pragma once

namespace rapport::core {

// Initialises libsodium once per process (thread-safe). Call before any libsodium function.
// Throws std::runtime_error if the library cannot start (no entropy source).
void EnsureSodium();

}  // namespace rapport::core
