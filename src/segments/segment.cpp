#include "segments/segment.hpp"

#include <fmt/format.h>

namespace rapport::segments {

namespace {

core::Result<SegmentInput> ParseSegment(const nlohmann::json& body, bool create) {
  core::JsonReader in(body);
  SegmentInput input;
  input.name = in.Text("name", {.min = 1, .max = kMaxSegmentName});
  input.description = in.Text("description", {.min = 0, .max = kMaxSegmentDescription});
  if (input.description.value && input.description.value->empty()) {
    input.description.value.reset();
    input.description.null = true;
  }
  // Read in place: a rule tree may be deep, and ParseRules never copies or recurses into
  // more of it than the depth limit allows.
  const nlohmann::json* rules = in.Raw("rules");
  in.ReadOnly({"id", "created_at", "updated_at"});
  if (create) {
    in.Require("name", input.name);
  } else {
    in.NotNull("name", input.name);
  }
  if (!rules) {
    if (create) in.Fail("rules", "is required");
  } else if (rules->is_null()) {
    in.Fail("rules", "must not be null");
  } else if (auto parsed = rules::ParseRules(*rules, "rules"); !parsed) {
    for (const core::FieldError& e : parsed.error().errors) in.Fail(e.field, e.message);
  } else {
    input.rules = std::move(*parsed);
  }
  if (auto error = in.Finish()) return *error;
  return input;
}

nlohmann::json OrNull(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json Segment::ToJson() const {
  return {{"id", id},
          {"name", name},
          {"description", OrNull(description)},
          {"rules", rules},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

core::Result<SegmentInput> ParseNewSegment(const nlohmann::json& body) {
  return ParseSegment(body, /*create=*/true);
}

core::Result<SegmentInput> ParseSegmentChanges(const nlohmann::json& body) {
  return ParseSegment(body, /*create=*/false);
}

bool ApplySegmentInput(const SegmentInput& input, Segment& segment) {
  bool changed = false;
  if (input.name.value && *input.name.value != segment.name) {
    segment.name = *input.name.value;
    changed = true;
  }
  if (input.description.present && input.description.value != segment.description) {
    segment.description = input.description.value;
    changed = true;
  }
  if (input.rules) {
    nlohmann::json rules = rules::ToJson(*input.rules);
    if (rules != segment.rules) {
      segment.rules = std::move(rules);
      changed = true;
    }
  }
  return changed;
}

std::string Preview::ToJsonText() const {
  std::string out;
  out.reserve(64 + sample.size() * 640);
  fmt::format_to(std::back_inserter(out), "{{\"count\":{},\"sample\":[", count);
  for (std::size_t i = 0; i < sample.size(); ++i) {
    if (i > 0) out += ',';
    sample[i].AppendJson(out);
  }
  out += "]}";
  return out;
}

}  // namespace rapport::segments
