#include "core/sodium.hpp"

#include <mutex>
#include <stdexcept>

#include <sodium.h>

namespace rapport::core {

void EnsureSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium initialisation failed");
  });
}

}  // namespace rapport::core
