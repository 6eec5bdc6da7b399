#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "customers/customer.hpp"
#include "db/database.hpp"
#include "orders/order.hpp"

namespace rapport::orders {

// SQL for orders. No authorization here: the service decides, and hands List a `narrow`
// callback that appends its visibility condition (on `o.customer_id`).
class OrderStore {
 public:
  explicit OrderStore(db::Engine engine) : engine_(engine) {}

  std::optional<Order> FindById(db::Session& session, std::string_view id) const;
  void Insert(db::Session& session, const Order& order) const;
  // Writes amount, currency, status and ordered_at if the row is still at `order.version`
  // (bumping it and updated_at). Returns false, changing nothing, otherwise.
  bool Update(db::Session& session, Order& order) const;

  // What the customer's paid orders add up to: total_spend sums those in `currency` (the
  // server's), num_visits counts them all, last_visit_at is the latest ordered_at.
  customers::PurchaseStats Stats(db::Session& session, std::string_view customer_id,
                                 std::string_view currency) const;

  using Narrow = std::function<void(db::Query&)>;
  OrderPage List(db::Session& session, const OrderFilter& filter, const Narrow& narrow,
                 const core::PageRequest& page) const;

  // Up to `limit` orders of one customer, newest first by (ordered_at, id), strictly before
  // (`before_at`, `before_id`) when those are given.
  std::vector<Order> Newest(db::Session& session, std::string_view customer_id,
                            const std::optional<std::string>& before_at,
                            const std::optional<std::string>& before_id, int limit) const;

 private:
  db::Engine engine_;
};

}  // namespace rapport::orders
