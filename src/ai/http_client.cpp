#include "ai/http_client.hpp"

#include <curl/curl.h>

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace rapport::ai {

namespace {

// Handles kept for reuse beyond the calls in flight.
constexpr std::size_t kMaxIdleHandles = 16;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

struct Sink {
  std::string body;
  std::size_t limit = 0;
  bool too_large = false;
};

std::size_t Append(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * count;
  if (sink->body.size() + bytes > sink->limit) {
    sink->too_large = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  sink->body.append(data, bytes);
  return bytes;
}

TransportFailure Classify(CURLcode code, const Sink& sink) {
  if (sink.too_large) return TransportFailure::kTooLarge;
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return TransportFailure::kTimeout;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
      return TransportFailure::kConnect;
    default:
      return TransportFailure::kOther;
  }
}

}  // namespace

std::string_view FailureName(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kTimeout:
      return "timeout";
    case TransportFailure::kConnect:
      return "connect";
    case TransportFailure::kTooLarge:
      return "too_large";
    case TransportFailure::kOther:
      break;
  }
  return "other";
}

std::string FailureDetail(TransportFailure failure, std::chrono::milliseconds timeout) {
  switch (failure) {
    case TransportFailure::kTimeout:
      return fmt::format("the AI provider did not answer within {:g} s",
                         static_cast<double>(timeout.count()) / 1000);
    case TransportFailure::kConnect:
      return "the AI provider could not be reached";
    case TransportFailure::kTooLarge:
      return "the AI provider's answer is too large";
    case TransportFailure::kOther:
      break;
  }
  return "the connection to the AI provider failed";
}

HttpClient::HttpClient(std::chrono::milliseconds connect_timeout,
                       std::chrono::milliseconds timeout, std::size_t max_reply_bytes)
    : connect_timeout_(connect_timeout), timeout_(timeout), max_reply_bytes_(max_reply_bytes) {
  GlobalInit();
}

HttpClient::~HttpClient() {
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* HttpClient::Acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  CURL* handle = curl_easy_init();
  if (handle == nullptr) throw std::runtime_error("curl_easy_init failed");
  return handle;
}

void HttpClient::Release(void* handle) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdleHandles) {
    idle_.push_back(handle);
  } else {
    curl_easy_cleanup(static_cast<CURL*>(handle));
  }
}

std::variant<HttpReply, TransportFailure> HttpClient::Post(const HttpCall& call) {
  CURL* curl = static_cast<CURL*>(Acquire());
  std::unique_ptr<CURL, std::function<void(CURL*)>> handle(curl,
                                                           [this](CURL* c) { Release(c); });
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr,
                                                                      &curl_slist_free_all);
  for (const std::string& line : call.headers) {
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (appended == nullptr) throw std::runtime_error("curl_slist_append failed");
    (void)headers.release();
    headers.reset(appended);
  }
  // No "Expect: 100-continue" round trip before the body.
  curl_slist* appended = curl_slist_append(headers.get(), "Expect:");
  if (appended == nullptr) throw std::runtime_error("curl_slist_append failed");
  (void)headers.release();
  headers.reset(appended);

  Sink sink;
  sink.limit = max_reply_bytes_;
  curl_easy_reset(curl);  // keeps the connection cache of this handle
  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM, safe in threads
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "rapport");

  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) return Classify(code, sink);
  HttpReply reply;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  reply.body = std::move(sink.body);
  return reply;
}

}  // namespace rapport::ai
