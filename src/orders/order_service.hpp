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
#include "orders/order.hpp"
#include "orders/order_store.hpp"

namespace rapport::orders {

// Orders, and what they add up to on their customer.
//
// Every write recomputes the customer's total_spend (paid orders in the server's currency),
// num_visits (paid orders) and last_visit_at (the latest paid ordered_at) from the orders
// themselves, in the same transaction, with the customer's row locked: concurrent orders of
// one customer cannot lose an update, and cancelling or refunding takes the order back out.
//
// Visibility follows the customer: an agent sees the orders of customers they own or that
// have no owner; any other order is NotFound. Any staff user may record and change the
// orders they see. Errors: NotFound (missing, hidden or malformed id), Invalid naming the
// field (customer_id not a visible customer, amount not fitting the currency), Conflict
// (changing a refunded or cancelled order), PreconditionFailed (stale If-Match). Thread-safe.
class OrderService {
 public:
  // `customers` must outlive this service. `currency` is the server's (RAPPORT_CURRENCY):
  // the default of new orders and the currency of customers' total_spend.
  OrderService(db::Database& database, customers::CustomerService& customers,
               std::string currency);

  core::Result<OrderPage> List(const core::Principal& who, const OrderFilter& filter,
                               const core::PageRequest& page);
  // The orders of one customer (NotFound when `who` may not see the customer).
  core::Result<OrderPage> ListForCustomer(const core::Principal& who, std::string_view customer_id,
                                          OrderFilter filter, const core::PageRequest& page);
  core::Result<Order> Create(const core::Principal& who, const OrderInput& input);
  core::Result<Order> Get(const core::Principal& who, std::string_view id);
  // A PATCH: paid orders may change amount, currency, ordered_at and status (to refunded or
  // cancelled); refunded and cancelled orders are final (Conflict). A PATCH that changes
  // nothing writes nothing.
  core::Result<Order> Update(const core::Principal& who, std::string_view id,
                             const OrderInput& changes, std::optional<int64_t> expected_version);

  // For the customer timeline, on the caller's `session`: up to `limit` orders of the
  // customer, newest first by (ordered_at, id) — an order occurs at its ordered_at — strictly
  // older than (`before_at`, `before_id`) when given. NotFound when `who` may not see the
  // customer. Order::ToJson() is the item's data, Order::Summary() its summary.
  core::Result<std::vector<Order>> TimelineOrders(db::Session& session, const core::Principal& who,
                                                  std::string_view customer_id,
                                                  const std::optional<std::string>& before_at,
                                                  const std::optional<std::string>& before_id,
                                                  int limit);

  const std::string& currency() const { return currency_; }

 private:
  // Recomputes the customer's totals from its orders and stores them when they changed.
  void Recount(db::Session& tx, const customers::Customer& customer);

  db::Database& database_;
  customers::CustomerService& customers_;
  std::string currency_;
  OrderStore store_;
};

}  // namespace rapport::orders
