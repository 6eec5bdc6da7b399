#include "notifications/notification.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/json_reader.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace rapport::notifications {

namespace {

constexpr std::string_view kEllipsis = "\u2026";

// `text` on one line (control characters as spaces, runs of them as one), trimmed, and cut
// to at most `max` bytes at a character boundary, ending in "…" when it was cut.
std::string OneLine(std::string_view text, std::size_t max) {
  std::string line;
  line.reserve(std::min(text.size(), max + kEllipsis.size()));
  bool space = false;
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      space = true;
      continue;
    }
    if (space && !line.empty()) line += ' ';
    space = false;
    line += c;
  }
  if (line.size() <= max) return line;
  std::size_t cut = max - kEllipsis.size();
  // Back up to the start of a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  line.resize(cut);
  return core::Trim(line) + std::string(kEllipsis);
}

}  // namespace

bool IsKnownKind(std::string_view kind) {
  return std::find(kKinds.begin(), kKinds.end(), kind) != kKinds.end();
}

nlohmann::json Notification::ToJson() const {
  return {{"id", id},
          {"user_id", user_id},
          {"kind", kind},
          {"message", message},
          {"subject", {{"kind", subject.kind}, {"id", subject.id}}},
          {"event_time", event_time},
          {"created_at", created_at},
          {"notified_at", core::JsonOrNull(notified_at)},
          {"read_at", core::JsonOrNull(read_at)}};
}

std::string Notification::ToEvent() const {
  // The JSON is one line (no newline can end the data field early); ids are UUIDs.
  return fmt::format("id: {}\nevent: notification\ndata: {}\n\n", id,
                     ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

core::Result<NewNotification> Normalise(NewNotification input) {
  std::vector<core::FieldError> errors;
  if (!core::IsUuid(input.user_id)) errors.push_back({"user_id", "must be a UUID"});
  if (!IsKnownKind(input.kind)) {
    errors.push_back({"kind", fmt::format("must be one of: {}", fmt::join(kKinds, ", "))});
  }
  if (!core::IsValidUtf8(input.message)) {
    errors.push_back({"message", "must be UTF-8 text"});
  } else {
    input.message = OneLine(input.message, kMaxMessageLength);
    if (input.message.empty()) errors.push_back({"message", "must not be empty"});
  }
  if (input.subject.kind.empty() || input.subject.kind.size() > 32 ||
      !std::all_of(input.subject.kind.begin(), input.subject.kind.end(),
                   [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; })) {
    errors.push_back({"subject.kind", "must be 1 to 32 characters of a-z and _"});
  }
  if (input.subject.id.empty() || input.subject.id.size() > 64 ||
      !core::IsValidUtf8(input.subject.id)) {
    errors.push_back({"subject.id", "must be 1 to 64 characters"});
  }
  if (auto at = core::ParseTimestamp(input.event_time)) {
    input.event_time = core::FormatTimestamp(*at);
  } else {
    errors.push_back({"event_time", "must be an RFC 3339 timestamp"});
  }
  if (input.dedupe_key.empty() || input.dedupe_key.size() > kMaxDedupeKeyLength ||
      !core::IsValidUtf8(input.dedupe_key) ||
      input.dedupe_key.find('\0') != std::string::npos) {
    errors.push_back({"dedupe_key", "must be 1 to 200 bytes of UTF-8"});
  }
  if (input.customer_id && !core::IsUuid(*input.customer_id)) {
    errors.push_back({"customer_id", "must be a UUID"});
  }
  if (!errors.empty()) return core::Error::Invalid(std::move(errors));
  return input;
}

core::Result<NotificationFilter> ParseNotificationFilter(const core::ParamLookup& param) {
  NotificationFilter filter;
  core::QueryReader in(param);
  if (auto unread = in.Text("unread")) {
    if (*unread == "true" || *unread == "1") {
      filter.unread_only = true;
    } else if (*unread != "false" && *unread != "0") {
      return core::Error::BadRequest("unread", "must be true or false");
    }
  }
  filter.kinds = in.OneOf("kind", kKinds);
  if (auto error = in.Finish()) return *error;
  return filter;
}

std::string IdFloor(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const auto value = static_cast<uint64_t>(std::max<int64_t>(0, ms.count())) & 0xFFFFFFFFFFFFull;
  return fmt::format("{:08x}-{:04x}-0000-0000-000000000000", value >> 16, value & 0xFFFF);
}

std::optional<std::chrono::system_clock::time_point> IdTime(std::string_view id) {
  if (!core::IsUuid(id)) return std::nullopt;
  uint64_t value = 0;
  for (char c : std::string(id.substr(0, 8)) + std::string(id.substr(9, 4))) {
    const int digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  return std::chrono::system_clock::time_point(
      std::chrono::milliseconds(static_cast<int64_t>(value)));
}

}  // namespace rapport::notifications
