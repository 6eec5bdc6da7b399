#include "email/engagement_recorder.hpp"

#include <algorithm>

#include <sodium.h>

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/sodium.hpp"
#include "email/message.hpp"
#include "email/tracking.hpp"

namespace rapport::email {

namespace {

constexpr std::size_t kMaxUserAgent = 512;
constexpr std::size_t kBatchWakeup = 2'000;  // write early once this many wait
constexpr std::string_view kVisitorKeySetting = "email.visitor_key";

std::string CleanUserAgent(std::string_view user_agent) {
  std::string out = SanitizeUtf8(user_agent.substr(0, kMaxUserAgent));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out;
}

}  // namespace

EngagementRecorder::EngagementRecorder(db::Database& database, const EmailStore& store,
                                       Options options)
    : database_(database), store_(store), options_(options), thread_([this] { Loop(); }) {}

EngagementRecorder::~EngagementRecorder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void EngagementRecorder::RecordOpen(std::string token, std::string_view user_agent,
                                    std::string_view ip) {
  Push({"open", std::move(token), std::nullopt, std::string(user_agent.substr(0, kMaxUserAgent)),
        std::string(ip), core::Now()});
}

void EngagementRecorder::RecordClick(const LinkRow& link, std::string_view user_agent,
                                     std::string_view ip) {
  Push({"click",
        {},
        link,
        std::string(user_agent.substr(0, kMaxUserAgent)),
        std::string(ip),
        core::Now()});
}

void EngagementRecorder::Push(Pending event) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() >= options_.capacity) {
      dropped_.fetch_add(1);
      return;
    }
    pending_.push_back(std::move(event));
    ++pushed_;
    wake = pending_.size() == kBatchWakeup;
  }
  if (wake) wake_.notify_one();
}

void EngagementRecorder::Flush() {
  std::unique_lock lock(mutex_);
  const uint64_t target = pushed_;
  flush_requested_ = true;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return done_ >= target; });
}

void EngagementRecorder::Loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_for(lock, options_.interval, [&] {
      return stopping_ || flush_requested_ || pending_.size() >= kBatchWakeup;
    });
    flush_requested_ = false;
    if (pending_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::vector<Pending> batch;
    batch.swap(pending_);
    lock.unlock();
    const std::size_t count = batch.size();
    try {
      Write(std::move(batch));
    } catch (const std::exception& e) {
      // Tracking data is best effort: a failed batch is dropped, not retried forever.
      dropped_.fetch_add(count);
      if (auto log = spdlog::get("rapport")) {
        log->warn(
            nlohmann::json(
                {{"event", "email_tracking_write_failed"}, {"events", count}, {"error", e.what()}})
                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
    }
    lock.lock();
    done_ += count;
    flushed_.notify_all();
  }
}

std::string EngagementRecorder::Visitor(std::string_view ip, std::string_view user_agent) {
  core::EnsureSodium();
  crypto_generichash_state state;
  crypto_generichash_init(&state, reinterpret_cast<const unsigned char*>(visitor_key_.data()),
                          visitor_key_.size(), 16);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(ip.data()), ip.size());
  const unsigned char separator = 0;
  crypto_generichash_update(&state, &separator, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(user_agent.data()),
                            user_agent.size());
  unsigned char digest[16];
  crypto_generichash_final(&state, digest, sizeof digest);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, sizeof digest * 2);
}

void EngagementRecorder::Write(std::vector<Pending> batch) {
  std::vector<std::string> hashes;
  for (Pending& event : batch) {
    if (event.kind == "open") {
      event.token = HashToken(event.token);
      hashes.push_back(event.token);
    }
  }
  database_.Apply([&](db::Session& tx) {
    if (visitor_key_.empty()) {
      core::EnsureSodium();
      unsigned char key[crypto_generichash_KEYBYTES];
      randombytes_buf(key, sizeof key);
      char hex[sizeof key * 2 + 1];
      sodium_bin2hex(hex, sizeof hex, key, sizeof key);
      const std::string stored = store_.GetOrCreateSetting(tx, kVisitorKeySetting, hex);
      visitor_key_.resize(stored.size() / 2);
      std::size_t length = 0;
      sodium_hex2bin(reinterpret_cast<unsigned char*>(visitor_key_.data()), visitor_key_.size(),
                     stored.data(), stored.size(), nullptr, &length, nullptr);
      visitor_key_.resize(length);
    }
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    const auto emails = store_.ResolveOpenTokens(tx, hashes);
    std::vector<EventRow> rows;
    rows.reserve(batch.size());
    for (const Pending& event : batch) {
      EventRow row;
      row.kind = event.kind;
      if (event.kind == "open") {
        auto it = emails.find(event.token);
        if (it == emails.end()) continue;  // unknown or forged: nothing to record
        row.email_id = it->second;
      } else {
        row.email_id = event.link->email_id;
        row.link_position = event.link->position;
        row.url = event.link->url;
      }
      row.user_agent = CleanUserAgent(event.user_agent);
      row.visitor = Visitor(event.ip, event.user_agent);
      row.occurred_at = core::FormatTimestamp(event.at);
      rows.push_back(std::move(row));
    }
    store_.InsertEvents(tx, rows);
    written_.fetch_add(rows.size());
  });
}

}  // namespace rapport::email
