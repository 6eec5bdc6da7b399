#include "interactions/interaction.hpp"

namespace rapport::interactions {

namespace {

core::Result<InteractionInput> ParseInteraction(const nlohmann::json& body, bool create) {
  core::JsonReader in(body);
  InteractionInput input;
  input.customer_id = in.Id("customer_id");
  input.user_id = in.Id("user_id");
  input.type = in.Enum("type", kTypes);
  input.title = in.Text("title", {.min = 1, .max = kMaxTitleLength});
  input.details = in.TextOrNull("details", kMaxDetailsLength);
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
          {"details", core::JsonOrNull(details)},
          {"status", status},
          {"scheduled_at", core::JsonOrNull(scheduled_at)},
          {"duration_minutes", core::JsonOrNull(duration_minutes)},
          {"remind_before_minutes", core::JsonOrNull(remind_before_minutes)},
          {"completed_at", core::JsonOrNull(completed_at)},
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
          {"scheduled_at", core::JsonOrNull(scheduled_at)},
          {"duration_minutes", core::JsonOrNull(duration_minutes)},
          {"completed_at", core::JsonOrNull(completed_at)},
          {"created_at", created_at},
          {"updated_at", updated_at}};
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
  bool changed = input.type.AssignTo(interaction.type);
  changed = input.title.AssignTo(interaction.title) || changed;
  changed = input.details.AssignTo(interaction.details) || changed;
  changed = input.status.AssignTo(interaction.status) || changed;
  changed = input.scheduled_at.AssignTo(interaction.scheduled_at) || changed;
  changed = input.duration_minutes.AssignTo(interaction.duration_minutes) || changed;
  changed = input.remind_before_minutes.AssignTo(interaction.remind_before_minutes) || changed;
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
