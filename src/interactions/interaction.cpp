#include "interactions/interaction.hpp"

namespace rapport::interactions {

namespace {

template <class T>
nlohmann::json OrNull(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

core::Result<InteractionInput> ParseInteraction(const nlohmann::json& body, bool create) {
  core::JsonReader in(body);
  InteractionInput input;
  input.customer_id = in.Id("customer_id");
  input.user_id = in.Id("user_id");
  input.type = in.Enum("type", kTypes);
  input.title = in.Text("title", {.min = 1, .max = kMaxTitleLength});
  input.details = in.Text("details", {.min = 0, .max = kMaxDetailsLength});
  if (input.details.value && input.details.value->empty()) {
    input.details.value.reset();
    input.details.null = true;
  }
  input.status = in.Enum("status", kStatuses);
  input.scheduled_at = in.Timestamp("scheduled_at");
  input.duration_minutes = in.Integer("duration_minutes", 0, kMaxMinutes);
  input.remind_before_minutes = in.Integer("remind_before_minutes", 0, kMaxMinutes);
  in.ReadOnly({"id", "completed_at", "created_at", "updated_at"});

  if (create) {
    in.Require("customer_id", input.customer_id);
    in.Require("type", input.type);
    in.Require("title", input.title);
  } else {
    if (input.customer_id.present) {
      in.Fail("customer_id", "cannot be changed; record the interaction on the other customer");
    }
    in.NotNull("type", input.type);
    in.NotNull("title", input.title);
  }
  in.NotNull("user_id", input.user_id);
  in.NotNull("status", input.status);
  if (auto error = in.Finish()) return *error;
  return input;
}

template <class T>
bool Assign(const core::Field<T>& field, std::optional<T>& target) {
  if (!field.present || field.value == target) return false;
  target = field.value;
  return true;
}

bool Assign(const core::Field<std::string>& field, std::string& target) {
  if (!field.value || *field.value == target) return false;
  target = *field.value;
  return true;
}

}  // namespace

std::string_view DefaultStatus(std::string_view type) {
  return type == "note" || type == "email" ? "done" : "planned";
}

nlohmann::json Interaction::ToJson() const {
  return {{"id", id},
          {"customer_id", customer_id},
          {"user_id", user_id},
          {"type", type},
          {"title", title},
          {"details", OrNull(details)},
          {"status", status},
          {"scheduled_at", OrNull(scheduled_at)},
          {"duration_minutes", OrNull(duration_minutes)},
          {"remind_before_minutes", OrNull(remind_before_minutes)},
          {"completed_at", OrNull(completed_at)},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

std::string Interaction::Summary() const {
  std::string label = type == "follow_up" ? "Follow-up" : type;
  if (!label.empty() && label[0] >= 'a' && label[0] <= 'z') {
    label[0] = static_cast<char>(label[0] - 'a' + 'A');
  }
  std::string summary = label + ": " + title;
  if (status != "done") summary += " (" + status + ")";
  return summary;
}

nlohmann::json Interaction::ToPortalJson() const {
  return {{"id", id},
          {"type", type},
          {"title", title},
          {"status", status},
          {"scheduled_at", OrNull(scheduled_at)},
          {"duration_minutes", OrNull(duration_minutes)},
          {"completed_at", OrNull(completed_at)},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

nlohmann::json InteractionPage::ToJson() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const Interaction& interaction : data) rows.push_back(interaction.ToJson());
  nlohmann::json out = {{"data", std::move(rows)}, {"next_cursor", OrNull(next_cursor)}};
  if (total) out["total"] = *total;
  return out;
}

core::Result<InteractionInput> ParseNewInteraction(const nlohmann::json& body) {
  return ParseInteraction(body, /*create=*/true);
}

core::Result<InteractionInput> ParseInteractionChanges(const nlohmann::json& body) {
  return ParseInteraction(body, /*create=*/false);
}

bool ApplyInteractionInput(const InteractionInput& input, std::string_view now,
                           Interaction& interaction) {
  const bool was_done = interaction.status == "done";
  bool changed = Assign(input.type, interaction.type);
  changed = Assign(input.title, interaction.title) || changed;
  changed = Assign(input.details, interaction.details) || changed;
  changed = Assign(input.status, interaction.status) || changed;
  changed = Assign(input.scheduled_at, interaction.scheduled_at) || changed;
  changed = Assign(input.duration_minutes, interaction.duration_minutes) || changed;
  changed = Assign(input.remind_before_minutes, interaction.remind_before_minutes) || changed;
  const bool is_done = interaction.status == "done";
  if (is_done && (!was_done || !interaction.completed_at)) {
    interaction.completed_at = std::string(now);
    changed = true;
  } else if (!is_done && interaction.completed_at) {
    interaction.completed_at.reset();
    changed = true;
  }
  return changed;
}

core::Result<InteractionFilter> ParseInteractionFilter(const core::ParamLookup& param) {
  core::QueryReader in(param);
  InteractionFilter filter;
  filter.customer_id = in.Id("customer_id");
  filter.user_id = in.Id("user_id");
  filter.types = in.OneOf("type", kTypes);
  filter.statuses = in.OneOf("status", kStatuses);
  filter.from = in.Instant("from");
  filter.to = in.Instant("to");
  filter.q = in.Text("q");
  if (auto error = in.Finish()) return *error;
  return filter;
}

}  // namespace rapport::interactions
