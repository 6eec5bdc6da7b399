#include "oidc/http_client.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace rapport::oidc {

namespace {

constexpr std::size_t kMaxReplyBytes = 1 << 20;

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

size_t Collect(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t bytes = size * count;
  if (body->size() + bytes > kMaxReplyBytes) return 0;  // makes curl fail the transfer
  body->append(data, bytes);
  return bytes;
}

core::Error BadGateway(std::string detail) {
  return core::Error{core::Code::kBadGateway, std::move(detail), {}};
}

}  // namespace

std::string FormEncode(std::string_view value, bool space_as_plus) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

HttpClient::HttpClient(std::chrono::milliseconds timeout) : timeout_(timeout) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

core::Result<HttpReply> HttpClient::Get(const std::string& url, std::string_view what) const {
  return Perform(url, nullptr, what, {}, {});
}

core::Result<HttpReply> HttpClient::PostForm(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& form,
    std::string_view what, const std::string& basic_user, const std::string& basic_password) const {
  std::string body;
  for (const auto& [key, value] : form) {
    if (!body.empty()) body += '&';
    body += FormEncode(key);
    body += '=';
    body += FormEncode(value);
  }
  return Perform(url, &body, what, basic_user, basic_password);
}

core::Result<HttpReply> HttpClient::Perform(const std::string& url, const std::string* post_body,
                                            std::string_view what, const std::string& basic_user,
                                            const std::string& basic_password) const {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return BadGateway(fmt::format("the {} could not be reached", what));
  HttpReply reply;
  CURL* h = curl.get();
  const long timeout_ms = static_cast<long>(timeout_.count());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "rapport");
  std::unique_ptr<curl_slist, SlistDeleter> headers(
      curl_slist_append(nullptr, "Accept: application/json"));
  if (post_body != nullptr) {
    headers.reset(
        curl_slist_append(headers.release(), "Content-Type: application/x-www-form-urlencoded"));
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, post_body->c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body->size()));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  if (!basic_user.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, basic_user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, basic_password.c_str());
  }
  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return BadGateway(fmt::format("the {} did not answer within {} ms", what, timeout_ms));
  }
  if (rc != CURLE_OK) {
    return BadGateway(
        fmt::format("the {} could not be reached ({})", what, curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace rapport::oidc
