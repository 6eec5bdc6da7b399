#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "core/result.hpp"
#include "rules/rule.hpp"

namespace rapport::campaigns {

constexpr std::size_t kMaxCampaignName = 200;
constexpr std::size_t kMaxSubjectBytes = 500;
constexpr std::size_t kMaxBodyBytes = 512 * 1024;  // each of body and html

// draft → scheduled → sending → sent; draft → sending; draft | scheduled | sending →
// cancelled. Only a draft is edited or sent.
inline constexpr std::array<std::string_view, 5> kStatuses = {"draft", "scheduled", "sending",
                                                              "sent", "cancelled"};
inline constexpr std::array<std::string_view, 1> kChannels = {"email"};
bool IsValidStatus(std::string_view status);

// What a campaign has done so far (see docs/api/campaigns.md, "Statistics").
struct CampaignStats {
  int64_t audience = 0;   // recipients fixed when sending started
  int64_t sent = 0;       // log rows SENT
  int64_t failed = 0;     // log rows FAILED
  int64_t pending = 0;    // not settled yet (PENDING)
  int64_t cancelled = 0;  // never sent because the campaign was cancelled (CANCELLED)
  int64_t opened = 0;     // SENT messages with at least one recorded open
  int64_t clicked = 0;    // SENT messages with at least one tracked click

  // {audience, sent, failed, pending, cancelled, opened, clicked, open_rate, click_rate};
  // the rates are opened / sent and clicked / sent (0 when nothing was sent).
  nlohmann::json ToJson() const;
};

struct Campaign {
  std::string id;
  std::string name;
  std::string channel{"email"};
  std::optional<std::string> segment_id;
  nlohmann::json rules;  // the normalised rule group, or null when segment_id is set
  std::string subject;
  std::string body;
  std::optional<std::string> html;
  std::string status{"draft"};
  std::optional<std::string> scheduled_at;
  std::optional<int64_t> audience;  // set when sending starts
  std::optional<std::string> created_by;
  std::optional<std::string> sent_by;
  std::optional<std::string> started_at;
  std::optional<std::string> finished_at;
  std::optional<std::string> cancelled_at;
  int64_t version = 1;
  std::string created_at;
  std::string updated_at;
  CampaignStats stats;  // filled by the service

  nlohmann::json ToJson() const;
};

// The writable fields of POST /campaigns and PATCH /campaigns/{id}. `rules` parsed and
// checked; templates checked for unknown placeholders.
struct CampaignInput {
  core::Field<std::string> name;
  core::Field<std::string> channel;
  core::Field<std::string> segment_id;
  std::optional<rules::Rule> rules;
  core::Field<std::string> subject;
  core::Field<std::string> body;
  core::Field<std::string> html;
  core::Field<std::string> scheduled_at;
};

// POST: name, subject, body and exactly one of segment_id and rules are required. PATCH: any
// writable field; name, subject, body, segment_id and rules not null; segment_id and rules
// not both (giving one replaces the other). Invalid names every bad, unknown or read-only
// field.
core::Result<CampaignInput> ParseNewCampaign(const nlohmann::json& body);
core::Result<CampaignInput> ParseCampaignChanges(const nlohmann::json& body);
// Applies `input`; returns whether anything changed.
bool ApplyCampaignInput(const CampaignInput& input, Campaign& campaign);

// The optional body of POST /campaigns/{id}/send: {"scheduled_at"?}.
struct SendInput {
  std::optional<std::string> scheduled_at;
};
core::Result<SendInput> ParseSendInput(const nlohmann::json& body);

struct CampaignFilter {
  std::optional<std::string> status;
  std::optional<std::string> q;  // case-insensitive over the name
};
// Reads ?status ?q; BadRequest names the parameter.
core::Result<CampaignFilter> ParseCampaignFilter(
    const std::function<std::optional<std::string_view>(std::string_view)>& query);

inline const std::vector<std::string_view> kCampaignSortFields = {"name", "created_at",
                                                                  "updated_at", "scheduled_at"};
constexpr std::string_view kDefaultCampaignSort = "-created_at";

// --- The communication log -------------------------------------------------------------------

// One recipient as GET /campaigns/{id}/log shows it.
struct LogEntry {
  int64_t position = 0;
  std::string customer_id;
  std::optional<std::string> email;
  std::string status;  // SENT | FAILED | PENDING | CANCELLED
  std::optional<std::string> error;
  std::optional<std::string> sent_at;
  std::optional<std::string> email_id;
  int64_t attempts = 0;
  std::string updated_at;

  nlohmann::json ToJson() const;
};

inline constexpr std::array<std::string_view, 4> kLogStatuses = {"SENT", "FAILED", "PENDING",
                                                                 "CANCELLED"};
struct LogFilter {
  std::optional<std::string> status;  // one of kLogStatuses
};
core::Result<LogFilter> ParseLogFilter(
    const std::function<std::optional<std::string_view>(std::string_view)>& query);

// --- Personalisation ---------------------------------------------------------------------------

// A template is text with {{placeholder}}s (spaces inside the braces allowed): name,
// first_name, last_name, email, company, phone and attributes.<key>. Returns a message for
// each problem (an unknown placeholder, a '{{' without '}}', an empty attribute key).
std::vector<std::string> CheckTemplate(std::string_view text);

// The values a template can use; missing ones render as "".
struct MergeFields {
  std::string name;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> email;
  std::optional<std::string> company;
  std::optional<std::string> phone;
  nlohmann::json attributes = nlohmann::json::object();
};

enum class RenderMode {
  kText,     // values as they are
  kHtml,     // values HTML-escaped
  kOneLine,  // values with line breaks turned into spaces (subjects)
};

// `text` (which passed CheckTemplate) with every placeholder replaced. An attribute renders
// as its string, its number as written, true/false, or its JSON for objects and arrays; a
// missing or null one as "".
std::string Render(std::string_view text, const MergeFields& fields, RenderMode mode);

}  // namespace rapport::campaigns
