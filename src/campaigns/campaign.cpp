#include "campaigns/campaign.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/text.hpp"

namespace rapport::campaigns {

namespace {

using core::JsonOrNull;

// A rate as a fraction rounded to 4 decimals; 0 and 1 print as integers (as email stats do).
nlohmann::json Rate(int64_t count, int64_t total) {
  if (total <= 0 || count <= 0) return 0;
  if (count >= total) return 1;
  return std::round(static_cast<double>(count) / static_cast<double>(total) * 10000) / 10000;
}

constexpr std::string_view kPlaceholderHelp =
    "known: name, first_name, last_name, email, company, phone, attributes.<key>";
constexpr std::string_view kAttributePrefix = "attributes.";
constexpr std::size_t kMaxAttributeKey = 100;

bool IsSimpleField(std::string_view name) {
  static constexpr std::array<std::string_view, 6> kFields = {
      "name", "first_name", "last_name", "email", "company", "phone"};
  return std::find(kFields.begin(), kFields.end(), name) != kFields.end();
}

// Calls `placeholder(name)` for each {{...}} of `text` (name trimmed) and `literal(piece)`
// for the text between them. Returns the problems found.
std::vector<std::string> Scan(std::string_view text,
                              const std::function<void(std::string_view)>& literal,
                              const std::function<void(std::string_view)>& placeholder) {
  std::vector<std::string> problems;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t open = text.find("{{", at);
    if (open == std::string_view::npos) {
      literal(text.substr(at));
      break;
    }
    literal(text.substr(at, open - at));
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      problems.push_back("has a '{{' without a closing '}}'");
      break;
    }
    const std::string name = core::Trim(text.substr(open + 2, close - open - 2));
    if (name.starts_with(kAttributePrefix)) {
      const std::string_view key = std::string_view(name).substr(kAttributePrefix.size());
      if (key.empty() || key.size() > kMaxAttributeKey ||
          key.find_first_of("{}") != std::string_view::npos) {
        problems.push_back(fmt::format("has a bad placeholder {{{{{}}}}}: attributes.<key> needs a "
                                       "key of 1 to {} characters",
                                       name, kMaxAttributeKey));
      }
    } else if (!IsSimpleField(name)) {
      problems.push_back(fmt::format("has an unknown placeholder {{{{{}}}}} ({})",
                                     name.size() > 60 ? name.substr(0, 60) + "…" : name,
                                     kPlaceholderHelp));
    }
    placeholder(name);
    at = close + 2;
  }
  return problems;
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  return text;
}

std::string ValueOf(std::string_view name, const MergeFields& f) {
  auto or_empty = [](const std::optional<std::string>& v) { return v.value_or(""); };
  if (name == "name") return f.name;
  if (name == "first_name") return or_empty(f.first_name);
  if (name == "last_name") return or_empty(f.last_name);
  if (name == "email") return or_empty(f.email);
  if (name == "company") return or_empty(f.company);
  if (name == "phone") return or_empty(f.phone);
  if (name.starts_with(kAttributePrefix) && f.attributes.is_object()) {
    const std::string key(name.substr(kAttributePrefix.size()));
    auto it = f.attributes.find(key);
    if (it == f.attributes.end() || it->is_null()) return "";
    if (it->is_string()) return it->get<std::string>();
    return it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return "";
}

core::Result<CampaignInput> ParseCampaign(const nlohmann::json& body, bool create) {
  core::JsonReader in(body);
  CampaignInput input;
  input.name = in.Text("name", {.min = 1, .max = kMaxCampaignName});
  input.channel = in.Enum("channel", kChannels);
  input.segment_id = in.Id("segment_id");
  const nlohmann::json* rules = in.Raw("rules");
  input.subject = in.Text("subject", {.min = 1, .max = kMaxSubjectBytes});
  input.body = in.Text("body", {.min = 1, .max = kMaxBodyBytes, .trim = false});
  input.html = in.TextOrNull("html", kMaxBodyBytes);
  input.scheduled_at = in.Timestamp("scheduled_at");
  in.ReadOnly({"id", "status", "stats", "audience", "created_by", "sent_by", "started_at",
               "finished_at", "cancelled_at", "created_at", "updated_at"});
  if (create) {
    in.Require("name", input.name);
    in.Require("subject", input.subject);
    in.Require("body", input.body);
  } else {
    in.NotNull("name", input.name);
    in.NotNull("subject", input.subject);
    in.NotNull("body", input.body);
  }
  in.NotNull("channel", input.channel);
  if (input.segment_id.null) in.Fail("segment_id", "must not be null (give rules instead)");
  if (input.subject.value && input.subject.value->find_first_of("\r\n") != std::string::npos) {
    in.Fail("subject", "must be one line (no CR or LF)");
  }
  if (rules && rules->is_null()) {
    in.Fail("rules", "must not be null (give segment_id instead)");
  } else if (rules) {
    if (auto parsed = rules::ParseRules(*rules, "rules"); !parsed) {
      for (const core::FieldError& e : parsed.error().errors) in.Fail(e.field, e.message);
    } else {
      input.rules = std::move(*parsed);
    }
  }
  const bool has_segment = input.segment_id.present && !input.segment_id.null;
  const bool has_rules = rules && !rules->is_null();
  if (has_segment && has_rules) {
    in.Fail("rules", "give either segment_id or rules, not both");
  } else if (create && !has_segment && !has_rules && !input.segment_id.null &&
             !(rules && rules->is_null())) {
    in.Fail("segment_id", "is required unless rules gives the audience");
  }
  auto check = [&](std::string_view field, const core::Field<std::string>& text) {
    if (!text.value) return;
    for (const std::string& problem : CheckTemplate(*text.value)) in.Fail(field, problem);
  };
  check("subject", input.subject);
  check("body", input.body);
  check("html", input.html);
  if (auto error = in.Finish()) return *error;
  if (input.segment_id.value) *input.segment_id.value = core::ToLowerAscii(*input.segment_id.value);
  return input;
}

}  // namespace

bool IsValidStatus(std::string_view status) {
  return std::find(kStatuses.begin(), kStatuses.end(), status) != kStatuses.end();
}

nlohmann::json CampaignStats::ToJson() const {
  return {{"audience", audience},   {"sent", sent},
          {"failed", failed},       {"pending", pending},
          {"cancelled", cancelled}, {"opened", opened},
          {"clicked", clicked},     {"open_rate", Rate(opened, sent)},
          {"click_rate", Rate(clicked, sent)}};
}

nlohmann::json Campaign::ToJson() const {
  return {{"id", id},
          {"name", name},
          {"channel", channel},
          {"segment_id", JsonOrNull(segment_id)},
          {"rules", rules},
          {"subject", subject},
          {"body", body},
          {"html", JsonOrNull(html)},
          {"status", status},
          {"scheduled_at", JsonOrNull(scheduled_at)},
          {"stats", stats.ToJson()},
          {"created_by", JsonOrNull(created_by)},
          {"sent_by", JsonOrNull(sent_by)},
          {"started_at", JsonOrNull(started_at)},
          {"finished_at", JsonOrNull(finished_at)},
          {"cancelled_at", JsonOrNull(cancelled_at)},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

core::Result<CampaignInput> ParseNewCampaign(const nlohmann::json& body) {
  return ParseCampaign(body, /*create=*/true);
}

core::Result<CampaignInput> ParseCampaignChanges(const nlohmann::json& body) {
  return ParseCampaign(body, /*create=*/false);
}

bool ApplyCampaignInput(const CampaignInput& input, Campaign& c) {
  bool changed = false;
  changed |= input.name.AssignTo(c.name);
  changed |= input.channel.AssignTo(c.channel);
  changed |= input.subject.AssignTo(c.subject);
  changed |= input.body.AssignTo(c.body);
  changed |= input.html.AssignTo(c.html);
  changed |= input.scheduled_at.AssignTo(c.scheduled_at);
  if (input.segment_id.value) {
    if (c.segment_id != input.segment_id.value || !c.rules.is_null()) changed = true;
    c.segment_id = input.segment_id.value;
    c.rules = nullptr;
  }
  if (input.rules) {
    nlohmann::json rules = rules::ToJson(*input.rules);
    if (rules != c.rules || c.segment_id) changed = true;
    c.rules = std::move(rules);
    c.segment_id.reset();
  }
  return changed;
}

core::Result<SendInput> ParseSendInput(const nlohmann::json& body) {
  core::JsonReader in(body);
  SendInput input;
  auto scheduled_at = in.Timestamp("scheduled_at");
  if (auto error = in.Finish()) return *error;
  input.scheduled_at = scheduled_at.value;
  return input;
}

core::Result<CampaignFilter> ParseCampaignFilter(
    const std::function<std::optional<std::string_view>(std::string_view)>& query) {
  CampaignFilter filter;
  if (auto status = query("status")) {
    if (!IsValidStatus(*status)) {
      return core::Error::BadRequest(
          "status", "must be one of: draft, scheduled, sending, sent, cancelled");
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

nlohmann::json LogEntry::ToJson() const {
  return {{"position", position},   {"customer_id", customer_id},
          {"email", JsonOrNull(email)}, {"status", status},
          {"error", JsonOrNull(error)}, {"sent_at", JsonOrNull(sent_at)},
          {"email_id", JsonOrNull(email_id)}, {"attempts", attempts},
          {"updated_at", updated_at}};
}

core::Result<LogFilter> ParseLogFilter(
    const std::function<std::optional<std::string_view>(std::string_view)>& query) {
  LogFilter filter;
  if (auto status = query("status")) {
    std::string upper(*status);
    for (char& c : upper) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    if (std::find(kLogStatuses.begin(), kLogStatuses.end(), upper) == kLogStatuses.end()) {
      return core::Error::BadRequest("status", "must be one of: SENT, FAILED, PENDING, CANCELLED");
    }
    filter.status = upper;
  }
  return filter;
}

std::vector<std::string> CheckTemplate(std::string_view text) {
  return Scan(text, [](std::string_view) {}, [](std::string_view) {});
}

std::string Render(std::string_view text, const MergeFields& fields, RenderMode mode) {
  std::string out;
  out.reserve(text.size() + 64);
  Scan(
      text, [&](std::string_view piece) { out.append(piece); },
      [&](std::string_view name) {
        std::string value = ValueOf(name, fields);
        switch (mode) {
          case RenderMode::kText: out += value; break;
          case RenderMode::kHtml: out += EscapeHtml(value); break;
          case RenderMode::kOneLine: out += OneLine(std::move(value)); break;
        }
      });
  return out;
}

}  // namespace rapport::campaigns
