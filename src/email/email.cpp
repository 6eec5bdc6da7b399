#include "email/email.hpp"

#include <algorithm>
#include <cmath>

#include "core/ids.hpp"
#include "core/text.hpp"

namespace rapport::email {

namespace {

nlohmann::json Optional(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// A rate as a fraction rounded to 4 decimals, printed as people write it: 0.3333, and 0 or 1
// rather than 0.0 or 1.0.
nlohmann::json Rate(int64_t count, int64_t total) {
  if (total <= 0 || count <= 0) return 0;
  if (count >= total) return 1;
  return std::round(static_cast<double>(count) / static_cast<double>(total) * 10000) / 10000;
}

}  // namespace

bool IsValidStatus(std::string_view status) {
  return std::find(kStatuses.begin(), kStatuses.end(), status) != kStatuses.end();
}

nlohmann::json Email::ToJson() const {
  return {{"id", id},
          {"kind", kind},
          {"to", to},
          {"to_name", Optional(to_name)},
          {"subject", subject},
          {"text", text},
          {"html", Optional(html)},
          {"customer_id", Optional(customer_id)},
          {"sender_id", Optional(sender_id)},
          {"track_opens", track_opens},
          {"track_clicks", track_clicks},
          {"status", status},
          {"message_id", "<" + message_id + ">"},
          {"attempts", attempts},
          {"error", Optional(error)},
          {"smtp_response", Optional(smtp_response)},
          {"transport", Optional(transport)},
          {"sent_at", Optional(sent_at)},
          {"failed_at", Optional(failed_at)},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

std::string Email::Summary() const {
  return "Email to " + to + ": " + subject + " (" + status + ")";
}

core::Result<NewEmail> ParseNewEmail(const nlohmann::json& body) {
  core::JsonReader in(body);
  NewEmail email;
  auto to = in.Email("to");
  auto subject = in.Text("subject", {.min = 1, .max = kMaxSubjectBytes});
  auto text = in.Text("text", {.min = 1, .max = kMaxBodyBytes, .trim = false});
  auto html = in.Text("html", {.min = 0, .max = kMaxBodyBytes, .trim = false});
  auto customer_id = in.Id("customer_id");
  auto track_opens = in.Boolean("track_opens");
  auto track_clicks = in.Boolean("track_clicks");
  in.ReadOnly({"id", "kind", "status", "sender_id", "to_name", "message_id", "attempts", "error",
               "smtp_response", "transport", "sent_at", "failed_at", "created_at", "updated_at"});
  in.Require("subject", subject);
  in.Require("text", text);
  in.NotNull("track_opens", track_opens);
  in.NotNull("track_clicks", track_clicks);
  if (subject.value && subject.value->find_first_of("\r\n") != std::string::npos) {
    in.Fail("subject", "must be one line (no CR or LF)");
  }
  if (!to.value && !customer_id.value && !in.has_errors()) {
    in.Fail("to", "is required unless customer_id names a customer with an email");
  }
  if (text.value && !core::IsValidUtf8(*text.value)) in.Fail("text", "must be UTF-8");
  if (auto error = in.Finish()) return *error;
  email.to = to.value;
  email.subject = *subject.value;
  email.text = *text.value;
  if (html.value && !core::Trim(*html.value).empty()) email.html = *html.value;
  email.customer_id = customer_id.value;
  email.track_opens = track_opens.value.value_or(true);
  email.track_clicks = track_clicks.value.value_or(true);
  return email;
}

core::Result<EmailFilter> ParseEmailFilter(
    const std::function<std::optional<std::string_view>(std::string_view)>& query) {
  EmailFilter filter;
  if (auto customer_id = query("customer_id")) {
    if (!core::IsUuid(*customer_id))
      return core::Error::BadRequest("customer_id", "must be a UUID");
    filter.customer_id = core::ToLowerAscii(*customer_id);
  }
  if (auto status = query("status")) {
    if (!IsValidStatus(*status)) {
      return core::Error::BadRequest("status", "must be one of: queued, sending, sent, failed");
    }
    filter.status = std::string(*status);
  }
  if (auto q = query("q")) {
    std::string text = core::Trim(*q);
    if (text.size() > 200) return core::Error::BadRequest("q", "must be at most 200 characters");
    if (!text.empty()) filter.q = std::move(text);
  }
  return filter;
}

nlohmann::json Reply::ToJson() const {
  return {{"id", id},           {"received_at", received_at},
          {"from", from},       {"from_name", Optional(from_name)},
          {"subject", subject}, {"text", text}};
}

nlohmann::json Engagement::ToJson() const {
  nlohmann::json link_list = nlohmann::json::array();
  for (const Link& link : links) {
    link_list.push_back({{"position", link.position}, {"url", link.url}, {"clicks", link.clicks}});
  }
  nlohmann::json reply_list = nlohmann::json::array();
  for (const Reply& reply : replies) reply_list.push_back(reply.ToJson());
  return {{"sent_at", Optional(sent_at)},
          {"opens", opens},
          {"unique_opens", unique_opens},
          {"first_opened_at", Optional(first_opened_at)},
          {"last_opened_at", Optional(last_opened_at)},
          {"clicks", clicks},
          {"unique_clicks", unique_clicks},
          {"links", std::move(link_list)},
          {"replies", std::move(reply_list)}};
}

nlohmann::json EmailStats::ToJson() const {
  return {{"from", Optional(from)},
          {"to", Optional(to)},
          {"sent", sent},
          {"opened", opened},
          {"clicked", clicked},
          {"replied", replied},
          {"failed", failed},
          {"open_rate", Rate(opened, sent)},
          {"click_rate", Rate(clicked, sent)},
          {"reply_rate", Rate(replied, sent)}};
}

}  // namespace rapport::email
