#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "core/result.hpp"

namespace rapport::orders {

// An order's life: it starts paid (or is recorded as already refunded or cancelled);
// refunded and cancelled are final.
inline constexpr std::array<std::string_view, 3> kOrderStatuses = {"paid", "refunded",
                                                                   "cancelled"};
constexpr std::string_view kPaid = "paid";

// An order as stored and returned. `amount` is in minor units (hundredths).
struct Order {
  std::string id;
  std::string customer_id;
  int64_t amount = 0;
  std::string currency;
  std::string status{kPaid};
  std::string ordered_at;
  int64_t version = 1;
  std::string created_at;
  std::string updated_at;

  // The API representation: amount in major units.
  nlohmann::json ToJson() const;
  // One line for a timeline: "Order of 120.5 USD (paid)".
  std::string Summary() const;
};

// A page of orders: {"data": [...], "next_cursor": ..., "total"?}.
struct OrderPage {
  std::vector<Order> data;
  std::optional<std::string> next_cursor;
  std::optional<int64_t> total;

  nlohmann::json ToJson() const;
};

// The writable fields of a POST or PATCH body. Absent fields stay unchanged on PATCH.
// `currency` is upper-cased; `ordered_at` normalised to UTC.
struct OrderInput {
  core::Field<std::string> customer_id;
  core::Field<int64_t> amount;
  core::Field<std::string> currency;
  core::Field<std::string> status;
  core::Field<std::string> ordered_at;
};

// POST /orders: customer_id and amount are required; currency defaults to the server's
// (applied by the service), status to paid, ordered_at to now. PATCH /orders/{id}: amount,
// currency, status, ordered_at; customer_id is read-only there. Invalid names every bad,
// unknown or read-only field: amount ≤ 0 or with more than 2 decimals, a currency that is not
// ISO 4217, decimals in a zero-decimal currency (JPY), nulls.
core::Result<OrderInput> ParseNewOrder(const nlohmann::json& body);
core::Result<OrderInput> ParseOrderChanges(const nlohmann::json& body);

// Checks `amount` against the decimals of `currency` (whole amounts for JPY and the other
// zero-decimal currencies). Invalid naming `amount`.
core::Status CheckAmountForCurrency(int64_t amount, std::string_view currency);

// Applies the fields of a PATCH to `order`. Conflict when the order is refunded or cancelled
// and the PATCH would change it (those are final; repeating the current values is not a
// change). Returns whether anything changed.
core::Result<bool> ApplyOrderChanges(const OrderInput& changes, Order& order);

// GET /orders filters; every value validated.
struct OrderFilter {
  std::optional<std::string> customer_id;
  std::optional<std::string> status;
  std::optional<std::string> currency;
  std::optional<std::string> from;  // ordered_at ≥, normalised RFC 3339 UTC
  std::optional<std::string> to;    // ordered_at <
};

// Reads the filters through `param`; BadRequest names the first bad parameter.
using ParamLookup = std::function<std::optional<std::string_view>(std::string_view)>;
core::Result<OrderFilter> ParseOrderFilter(const ParamLookup& param);

inline const std::vector<std::string_view> kOrderSortFields = {"ordered_at", "created_at",
                                                               "updated_at", "amount"};
constexpr std::string_view kDefaultOrderSort = "-ordered_at";

}  // namespace rapport::orders
