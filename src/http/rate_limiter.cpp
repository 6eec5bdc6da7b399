#include "http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace rapport::http {

RateLimiter::Decision RateLimiter::Take(std::string_view key) {
  Decision decision;
  if (!enabled()) return decision;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (now - last_prune_ > std::chrono::seconds(60)) Prune(now);
  auto [it, inserted] = buckets_.try_emplace(std::string(key), Bucket{burst_, now});
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
  bucket.updated = now;
  decision.limit = static_cast<int>(burst_);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
  } else {
    decision.allowed = false;
    decision.retry_after_seconds = std::max(1, static_cast<int>(std::ceil((1 - bucket.tokens) / rate_)));
  }
  decision.remaining = static_cast<int>(bucket.tokens);
  decision.reset_seconds = static_cast<int>(std::ceil((burst_ - bucket.tokens) / rate_));
  return decision;
}

void RateLimiter::Prune(std::chrono::steady_clock::time_point now) {
  last_prune_ = now;
  const auto full_after = std::chrono::duration<double>(burst_ / rate_);
  std::erase_if(buckets_, [&](const auto& entry) { return now - entry.second.updated > full_after; });
}

}  // namespace rapport::http
