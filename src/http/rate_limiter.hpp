#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rapport::http {

// Token buckets keyed by client (an IP, a principal). Thread-safe. Buckets idle for longer
// than a refill period are dropped, so memory stays bounded by the active clients.
class RateLimiter {
 public:
  // `per_second` tokens refill each second up to `burst`. A rate of 0 disables the limiter.
  RateLimiter(double per_second, double burst) : rate_(per_second), burst_(burst) {}

  struct Decision {
    bool allowed = true;
    int limit = 0;                // the bucket's capacity
    int remaining = 0;            // whole tokens left after this request
    int reset_seconds = 0;        // until the bucket is full again
    int retry_after_seconds = 0;  // when refused: until one token is back
  };
  Decision Take(std::string_view key);
  bool enabled() const { return rate_ > 0; }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  void Prune(std::chrono::steady_clock::time_point now);

  const double rate_;
  const double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::chrono::steady_clock::time_point last_prune_;
};

}  // namespace rapport::http
