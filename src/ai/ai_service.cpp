#include "ai/ai_service.hpp"

#include <chrono>
#include <cmath>

#include <spdlog/spdlog.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "ai/prompt.hpp"
#include "core/page.hpp"
#include "core/time.hpp"

namespace rapport::ai {

namespace {

using Clock = std::chrono::steady_clock;

// Holds one of the concurrent-call slots until it goes out of scope.
class Slot {
 public:
  explicit Slot(std::counting_semaphore<>& slots) : slots_(slots) {}
  ~Slot() { slots_.release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::counting_semaphore<>& slots_;
};

}  // namespace

AiService::AiService(std::optional<AiSettings> settings, customers::CustomerService& customers,
                     timeline::TimelineService* timeline, std::shared_ptr<spdlog::logger> log)
    : settings_(std::move(settings)),
      customers_(customers),
      timeline_(timeline),
      log_(std::move(log)) {
  if (!settings_) return;
  provider_ = MakeProvider(*settings_);
  client_ = std::make_unique<HttpClient>(settings_->connect_timeout, settings_->timeout);
  budget_ = std::make_unique<http::RateLimiter>(settings_->asks_per_minute / 60.0,
                                                settings_->asks_per_minute);
  slots_ = std::make_unique<std::counting_semaphore<>>(
      static_cast<std::ptrdiff_t>(settings_->max_concurrent));
}

AiService::~AiService() = default;

core::Status AiService::Available() const {
  if (!settings_) {
    return core::Error::Unavailable(
        "the AI assistant is not configured (RAPPORT_AI_PROVIDER is not set)");
  }
  return core::Ok{};
}

core::Result<Answer> AiService::Ask(const core::Principal& who, const AskInput& input,
                                    std::string_view request_id) {
  if (auto available = Available(); !available) return available.error();

  std::optional<std::string> context;
  if (input.customer_id) {
    auto customer = customers_.Get(who, *input.customer_id);
    if (!customer) return customer.error();
    CustomerContext data{customer->ToJson(), {}};
    auto items = RecentTimeline(who, customer->id);
    if (!items) return items.error();
    data.timeline = std::move(*items);
    context = BuildContextJson(data, core::FormatTimestamp(core::Now()),
                               settings_->max_context_bytes);
  }

  // The slot first, so a request refused as busy costs no budget.
  if (!slots_->try_acquire()) {
    core::Error error = core::Error::Unavailable(
        "the AI assistant is busy with other requests; retry shortly");
    error.retry_after_seconds = 1;
    return error;
  }
  Slot slot(*slots_);
  if (budget_->enabled()) {
    auto decision = budget_->Take("user:" + who.id);
    if (!decision.allowed) {
      core::Error error = core::Error::TooManyRequests(decision.retry_after_seconds);
      error.detail = fmt::format("at most {} AI asks per minute per user; retry later",
                                 settings_->asks_per_minute);
      return error;
    }
  }
  return Call(BuildPrompt(input.prompt, context), request_id);
}

core::Result<std::vector<nlohmann::json>> AiService::RecentTimeline(
    const core::Principal& who, std::string_view customer_id) {
  std::vector<nlohmann::json> items;
  if (timeline_ == nullptr) return items;
  // The timeline's own default order (newest first), as GET .../timeline without ?sort.
  auto sort = core::ParseSort(std::nullopt, timeline::kTimelineSortFields,
                              timeline::kDefaultTimelineSort);
  if (!sort) return sort.error();
  core::PageRequest page;
  page.limit = kTimelineItems;
  page.sort = std::move(*sort);
  page.sort.push_back({"id", page.sort.back().descending});
  auto result = timeline_->List(who, customer_id, std::nullopt, page);
  if (!result) return result.error();
  items.reserve(result->data.size());
  for (const timeline::Item& item : result->data) items.push_back(item.ToJson());
  return items;
}

core::Result<Answer> AiService::Call(const Prompt& prompt, std::string_view request_id) {
  const HttpCall call = provider_->BuildCall(prompt);
  const Clock::time_point started = Clock::now();
  auto sent = client_->Post(call);
  const double latency_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - started).count();

  nlohmann::json line = {
      {"ts", core::FormatTimestamp(core::Now())},
      {"event", "ai_call"},
      {"request_id", request_id},
      {"provider", provider_->name()},
      {"model", provider_->model()},
      {"latency_ms", std::round(latency_ms * 1000) / 1000},
  };
  if (auto* failure = std::get_if<TransportFailure>(&sent)) {
    line["level"] = "warn";
    line["outcome"] = FailureName(*failure);
    line["status"] = nullptr;
    log_->warn(line.dump());
    return ProviderError(FailureDetail(*failure, client_->timeout()));
  }
  const HttpReply& reply = std::get<HttpReply>(sent);
  auto completion = provider_->ParseReply(reply);
  line["status"] = reply.status;
  if (!completion) {
    line["level"] = "warn";
    line["outcome"] = "provider_error";
    line["error"] = completion.error().detail;  // built from codes only, never provider text
    log_->warn(line.dump());
    return completion.error();
  }
  line["level"] = "info";
  line["outcome"] = "ok";
  log_->info(line.dump());
  return Answer{std::move(completion->answer), std::move(completion->model)};
}

}  // namespace rapport::ai
