#include "orders/order_service.hpp"

#include "core/ids.hpp"
#include "core/time.hpp"

namespace rapport::orders {

namespace {

core::Status RequireStaff(const core::Principal& who) {
  if (!who.is_user()) return core::Error::Forbidden("only staff users manage orders");
  return core::Ok{};
}

// A customer_id in a body that names no customer the caller can see: the same answer whether
// it is missing or hidden, so ids cannot be probed.
core::Error UnknownCustomer() {
  return core::Error::Invalid("customer_id", "must be the id of an existing customer");
}

}  // namespace

OrderService::OrderService(db::Database& database, customers::CustomerService& customers,
                           std::string currency)
    : database_(database),
      customers_(customers),
      currency_(std::move(currency)),
      store_(database.engine()) {}

void OrderService::Recount(db::Session& tx, const customers::Customer& customer) {
  const customers::PurchaseStats stats = store_.Stats(tx, customer.id, currency_);
  if (stats.total_spend == customer.total_spend && stats.num_visits == customer.num_visits &&
      stats.last_visit_at == customer.last_visit_at) {
    return;
  }
  customers_.SetPurchaseStats(tx, customer, stats);
}

core::Result<OrderPage> OrderService::List(const core::Principal& who, const OrderFilter& filter,
                                           const core::PageRequest& page) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  return database_.Read([&](db::Session& session) -> core::Result<OrderPage> {
    return store_.List(
        session, filter,
        [&](db::Query& query) {
          customers::CustomerService::AppendVisibleFilter(query, who, "o.customer_id");
        },
        page);
  });
}

core::Result<OrderPage> OrderService::ListForCustomer(const core::Principal& who,
                                                      std::string_view customer_id,
                                                      OrderFilter filter,
                                                      const core::PageRequest& page) {
  auto customer = customers_.Get(who, customer_id);
  if (!customer) return customer.error();
  filter.customer_id = customer->id;
  return List(who, filter, page);
}

core::Result<Order> OrderService::Create(const core::Principal& who, const OrderInput& input) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!input.customer_id.value || !input.amount.value) {
    return core::Error::Invalid("customer_id", "is required");
  }
  Order order;
  order.id = core::NewId();
  order.customer_id = *input.customer_id.value;
  order.amount = *input.amount.value;
  order.currency = input.currency.value.value_or(currency_);
  order.status = input.status.value.value_or(std::string(kPaid));
  order.created_at = order.updated_at = core::FormatTimestamp(core::Now());
  order.ordered_at = input.ordered_at.value.value_or(order.created_at);
  if (auto fits = CheckAmountForCurrency(order.amount, order.currency); !fits) return fits.error();

  return database_.Write([&](db::Session& tx) -> core::Result<Order> {
    auto customer = customers_.GetForUpdate(tx, who, order.customer_id);
    if (!customer) return UnknownCustomer();
    store_.Insert(tx, order);
    Recount(tx, *customer);
    return order;
  });
}

core::Result<Order> OrderService::Get(const core::Principal& who, std::string_view id) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("order", id);
  return database_.Read([&](db::Session& session) -> core::Result<Order> {
    auto order = store_.FindById(session, id);
    if (!order || !customers_.Get(session, who, order->customer_id)) {
      return core::Error::NotFound("order", id);
    }
    return std::move(*order);
  });
}

core::Result<Order> OrderService::Update(const core::Principal& who, std::string_view id,
                                         const OrderInput& changes,
                                         std::optional<int64_t> expected_version) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("order", id);
  return database_.Write([&](db::Session& tx) -> core::Result<Order> {
    auto found = store_.FindById(tx, id);
    if (!found) return core::Error::NotFound("order", id);
    // Every order write locks the customer first, so from here on nobody else changes this
    // order or its customer's totals; read the order again under that lock.
    auto customer = customers_.GetForUpdate(tx, who, found->customer_id);
    if (!customer) return core::Error::NotFound("order", id);
    auto order = store_.FindById(tx, id);
    if (!order) return core::Error::NotFound("order", id);
    if (expected_version && *expected_version != order->version) {
      return core::Error::PreconditionFailed();
    }
    auto changed = ApplyOrderChanges(changes, *order);
    if (!changed) return changed.error();
    if (!*changed) return std::move(*order);
    if (!store_.Update(tx, *order)) {
      return core::Error::Conflict("the order is being changed concurrently; retry");
    }
    Recount(tx, *customer);
    return std::move(*order);
  });
}

}  // namespace rapport::orders
