#include "core/ids.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include <sodium.h>

#include "core/sodium.hpp"

namespace rapport::core {
namespace {

constexpr uint64_t kMaxTimestampMs = (uint64_t{1} << 48) - 1;
constexpr uint16_t kCounterMax = 0x0FFF;  // rand_a is 12 bits wide.

struct Generator {
  std::mutex mutex;
  uint64_t last_ms = 0;  // guarded by mutex
  uint16_t counter = 0;  // guarded by mutex
  bool started = false;  // guarded by mutex
};

Generator& TheGenerator() {
  static Generator generator;
  return generator;
}

uint16_t RandomCounterSeed() {
  uint16_t seed = 0;
  randombytes_buf(&seed, sizeof seed);
  // Leave the top bit clear so at least 2048 ids fit in one millisecond before the
  // timestamp has to be pushed forward (RFC 9562 §6.2, counter rollover guard).
  return seed & 0x07FF;
}

// Picks the (timestamp, counter) pair for the next id; strictly increasing across calls.
void NextTimestampAndCounter(uint64_t& ms, uint16_t& counter) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto now_ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) &
      kMaxTimestampMs;

  Generator& g = TheGenerator();
  std::lock_guard<std::mutex> lock(g.mutex);
  if (!g.started || now_ms > g.last_ms) {
    g.last_ms = now_ms;
    g.counter = RandomCounterSeed();
    g.started = true;
  } else if (g.counter < kCounterMax) {
    // Same millisecond, or the clock stepped back: keep the old timestamp, count up.
    ++g.counter;
  } else {
    ++g.last_ms;
    g.counter = RandomCounterSeed();
  }
  ms = g.last_ms;
  counter = g.counter;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

std::string NewId() {
  EnsureSodium();
  uint64_t ms = 0;
  uint16_t counter = 0;
  NextTimestampAndCounter(ms, counter);

  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data() + 8, 8);
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  bytes[6] = static_cast<unsigned char>(0x70 | (counter >> 8));
  bytes[7] = static_cast<unsigned char>(counter & 0xFF);
  bytes[8] = static_cast<unsigned char>(0x80 | (bytes[8] & 0x3F));

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0F]);
  }
  return out;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 generator = [] {
    EnsureSodium();
    std::seed_seq::result_type seed[8];
    randombytes_buf(seed, sizeof(seed));
    std::seed_seq sequence(std::begin(seed), std::end(seed));
    return std::mt19937_64(sequence);
  }();
  uint64_t high = generator();
  uint64_t low = generator();
  high = (high & ~uint64_t{0xF000}) | uint64_t{0x4000};                      // version 4
  low = (low & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);              // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xFFFF,
                     high & 0xFFFF, low >> 48, low & 0xFFFFFFFFFFFF);
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool hyphen_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen_position ? s[i] != '-' : !IsHex(s[i])) return false;
  }
  return true;
}

}  // namespace rapport::core
