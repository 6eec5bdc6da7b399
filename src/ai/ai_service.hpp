#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <semaphore>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ai/ai_settings.hpp"
#include "ai/ask.hpp"
#include "ai/http_client.hpp"
#include "ai/provider.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "customers/customer_service.hpp"
#include "http/rate_limiter.hpp"
#include "timeline/timeline_service.hpp"

namespace spdlog {
class logger;
}

namespace rapport::ai {

// Timeline items given to the model with a customer: the newest ones.
constexpr int kTimelineItems = 20;

// The AI assistant: asks the configured model a staff user's question, with a customer's
// profile (CustomerService::Get) and their kTimelineItems newest timeline items
// (TimelineService::List, each as GET /customers/{id}/timeline shows it) as context.
//
// Errors, checked in this order: Unavailable when no provider is configured; NotFound when
// the customer does not exist or `who` may not see it (the rule of CustomerService::Get);
// Unavailable with retry_after_seconds when max_concurrent calls are already in flight (the
// caller is never queued); TooManyRequests when `who` has used up their asks per minute;
// BadGateway for every provider failure (transport, timeout, HTTP error, unusable
// reply, refusal).
//
// Each call to the provider is logged as one "ai_call" line with provider, model, outcome,
// HTTP status and latency; never the prompt, the answer, the key or customer data.
// Thread-safe. `customers` and `timeline` must outlive the service; a null `timeline` sends
// the profile alone.
class AiService {
 public:
  AiService(std::optional<AiSettings> settings, customers::CustomerService& customers,
            timeline::TimelineService* timeline, std::shared_ptr<spdlog::logger> log);
  ~AiService();

  // Ok when a provider is configured, else the Unavailable error Ask would give.
  core::Status Available() const;

  // The model's answer to `input`. `request_id` goes into the log line.
  core::Result<Answer> Ask(const core::Principal& who, const AskInput& input,
                           std::string_view request_id);

 private:
  core::Result<std::vector<nlohmann::json>> RecentTimeline(const core::Principal& who,
                                                           std::string_view customer_id);
  core::Result<Answer> Call(const Prompt& prompt, std::string_view request_id);

  std::optional<AiSettings> settings_;
  customers::CustomerService& customers_;
  timeline::TimelineService* timeline_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<Provider> provider_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<http::RateLimiter> budget_;
  std::unique_ptr<std::counting_semaphore<>> slots_;
};

}  // namespace rapport::ai
