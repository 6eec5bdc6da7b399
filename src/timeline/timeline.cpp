#include "timeline/timeline.hpp"

namespace rapport::timeline {

nlohmann::json Item::ToJson() const {
  return {{"kind", kind},
          {"id", id},
          {"occurred_at", occurred_at},
          {"summary", summary},
          {"data", data}};
}

}  // namespace rapport::timeline
