#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "customers/customer_service.hpp"
#include "db/database.hpp"
#include "timeline/timeline.hpp"

namespace rapport::timeline {

// A customer's history across capabilities: GET /customers/{id}/timeline.
//
// Staff only (Forbidden otherwise); NotFound when the caller may not see the customer. Whoever
// sees the customer sees every item on its timeline. Thread-safe.
class TimelineService {
 public:
  // `customers` and every source must outlive this service.
  TimelineService(db::Database& database, customers::CustomerService& customers,
                  std::vector<const Source*> sources);

  // The kinds of the sources, in the order given (for validating ?kind=).
  const std::vector<std::string_view>& kinds() const { return kinds_; }

  // A page of the customer's items, ordered by `page.sort` (occurred_at, then id). `kinds`
  // (each one of kinds()) keeps only those sources; nullopt keeps all.
  core::Result<ItemPage> List(const core::Principal& who, std::string_view customer_id,
                              const std::optional<std::vector<std::string>>& kinds,
                              const core::PageRequest& page);

 private:
  db::Database& database_;
  customers::CustomerService& customers_;
  std::vector<const Source*> sources_;
  std::vector<std::string_view> kinds_;
};

// The fields ?sort may name on the timeline, and its order without ?sort: newest first.
inline const std::vector<std::string_view> kTimelineSortFields = {"occurred_at"};
constexpr std::string_view kDefaultTimelineSort = "-occurred_at";

}  // namespace rapport::timeline
