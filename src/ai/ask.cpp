#include "ai/ask.hpp"

#include "core/json_reader.hpp"

namespace rapport::ai {

core::Result<AskInput> ParseAsk(const nlohmann::json& body) {
  core::JsonReader in(body);
  auto prompt = in.Text("prompt", {.min = 1, .max = kMaxPromptBytes});
  auto customer_id = in.Id("customer_id");
  in.Require("prompt", prompt);
  if (auto error = in.Finish()) return *error;
  return AskInput{*prompt, customer_id.value};
}

}  // namespace rapport::ai
