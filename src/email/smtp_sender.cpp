#include "email/smtp_sender.hpp"

#include <curl/curl.h>

#include <atomic>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "core/text.hpp"

namespace rapport::email {

namespace {

constexpr std::size_t kMaxReply = 500;

std::atomic<uint64_t> next_sender_id{1};

void EnsureCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// This thread's connection: an easy handle keeps its connection open between transfers.
struct CachedHandle {
  uint64_t sender = 0;
  CURL* curl = nullptr;
  ~CachedHandle() { Reset(); }
  void Reset() {
    if (curl != nullptr) curl_easy_cleanup(curl);  // sends QUIT
    curl = nullptr;
    sender = 0;
  }
};
thread_local CachedHandle cached;

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;
struct MimeFree {
  void operator()(curl_mime* mime) const { curl_mime_free(mime); }
};

// The server's replies as libcurl reads them; keeps the last complete (possibly multi-line)
// reply.
struct Replies {
  std::string last;
  bool complete = true;
};

int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;  // never look at what we send: AUTH is in it
  auto& replies = *static_cast<Replies*>(user);
  std::string line = core::Trim(std::string_view(data, size));
  if (replies.complete) replies.last.clear();
  if (!replies.last.empty()) replies.last += ' ';
  replies.last += line;
  replies.complete = !(line.size() > 3 && line[3] == '-');
  return 0;
}

// Failures that say nothing about the message: the server may take it once the
// configuration (credentials, TLS) is fixed.
bool IsSetupError(CURLcode code) {
  return code == CURLE_LOGIN_DENIED || code == CURLE_AUTH_ERROR || code == CURLE_USE_SSL_FAILED ||
         code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CONNECT_ERROR;
}

std::string OneLine(std::string text) {
  std::string out = SanitizeUtf8(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (out.size() > kMaxReply) out.resize(kMaxReply);
  return SanitizeUtf8(out);  // the cut may have split a character
}

}  // namespace

SmtpSender::SmtpSender(MailSettings settings)
    : settings_(std::move(settings)), id_(next_sender_id.fetch_add(1)) {
  EnsureCurl();
}

SendResult SmtpSender::Send(const OutgoingMessage& message) const {
  if (cached.sender != id_) {
    cached.Reset();
    cached.curl = curl_easy_init();
    cached.sender = id_;
  }
  CURL* curl = cached.curl;
  if (curl == nullptr) {
    cached.Reset();
    return {SendResult::Kind::kTransient, 0, "libcurl could not start a transfer"};
  }
  curl_easy_reset(curl);  // options only; the open connection stays

  const std::string mail_from = fmt::format("<{}>", message.from.address);
  Slist recipients(curl_slist_append(nullptr, fmt::format("<{}>", message.to.address).c_str()));
  Slist headers;
  for (const std::string& line : HeaderLines(message)) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  std::unique_ptr<curl_mime, MimeFree> mime(curl_mime_init(curl));
  const std::string text = NormalizeLineEndings(message.text);
  const std::string html = NormalizeLineEndings(message.html);
  curl_mimepart* part = curl_mime_addpart(mime.get());
  curl_mime_data(part, text.data(), text.size());
  curl_mime_type(part, "text/plain; charset=utf-8");
  curl_mime_encoder(part, "quoted-printable");
  part = curl_mime_addpart(mime.get());
  curl_mime_data(part, html.data(), html.size());
  curl_mime_type(part, "text/html; charset=utf-8");
  curl_mime_encoder(part, "quoted-printable");

  Replies replies;
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime.get());
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   settings_.tls == TlsMode::kStartTls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
  if (!settings_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, settings_.ca_file.c_str());
  if (!settings_.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, settings_.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, settings_.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(settings_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);  // feeds OnDebug, which prints nothing
  curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, OnDebug);
  curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &replies);

  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  // The handle refers to this call's lists, MIME and buffers: forget them before they go.
  curl_easy_reset(curl);

  SendResult result;
  result.code = static_cast<int>(code);
  if (rc == CURLE_OK) {
    result.kind = SendResult::Kind::kSent;
    result.reply = OneLine(replies.last);
    return result;
  }
  // A failed transaction leaves the session in a state not worth reusing.
  cached.Reset();
  const bool server_said = !replies.last.empty() && code >= 400;
  if (server_said) {
    result.reply = OneLine(replies.last);
  } else {
    result.reply = OneLine(*error != '\0' ? std::string(error) : curl_easy_strerror(rc));
  }
  // A 5xx reply refuses the message; 4xx replies, dropped connections and timeouts may pass
  // on another try.
  result.kind = server_said && code >= 500 && code <= 599 && !IsSetupError(rc)
                    ? SendResult::Kind::kPermanent
                    : SendResult::Kind::kTransient;
  return result;
}

}  // namespace rapport::email
