#pragma once

#include "orders/order_store.hpp"
#include "timeline/timeline.hpp"

namespace rapport::orders {

// Orders on the customer timeline: kind "order", occurring at ordered_at; data as
// GET /orders/{id} returns it.
class OrderTimelineSource : public timeline::Source {
 public:
  explicit OrderTimelineSource(db::Engine engine) : store_(engine) {}

  std::string_view kind() const override { return "order"; }
  void AppendSelect(db::Query& query, std::string_view customer_id) const override {
    OrderStore::AppendTimelineSelect(query, customer_id);
  }
  std::vector<timeline::Item> Load(db::Session& session,
                                   const std::vector<std::string>& ids) const override {
    return timeline::ItemsOf(store_.FindMany(session, ids));
  }

 private:
  OrderStore store_;
};

}  // namespace rapport::orders
