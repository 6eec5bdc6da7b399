#include "timeline/timeline.hpp"

namespace rapport::timeline {

nlohmann::json Item::ToJson() const {
  return {{"kind", kind},
          {"id", id},
          {"occurred_at", occurred_at},
          {"summary", summary},
          {"data", data}};
}

nlohmann::json ItemPage::ToJson() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const Item& item : data) rows.push_back(item.ToJson());
  nlohmann::json out = {{"data", std::move(rows)},
                        {"next_cursor", next_cursor ? nlohmann::json(*next_cursor)
                                                    : nlohmann::json(nullptr)}};
  if (total) out["total"] = *total;
  return out;
}

}  // namespace rapport::timeline
