#include "orders/order.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/money.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "orders/currency.hpp"

namespace rapport::orders {

namespace {

std::string UpperAscii(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

constexpr std::string_view kCurrencyProblem = "must be an ISO 4217 currency code such as USD or EUR";

core::Field<std::string> Currency(core::JsonReader& in) {
  auto field = in.Text("currency", {.min = 0, .max = 10});
  if (!field.value) return field;
  std::string code = UpperAscii(*field.value);
  if (!IsIsoCurrency(code)) {
    in.Fail("currency", kCurrencyProblem);
    field.value.reset();
  } else {
    field.value = std::move(code);
  }
  return field;
}

// An RFC 3339 timestamp, or a date meaning midnight UTC; normalised to UTC.
core::Field<std::string> OrderedAt(core::JsonReader& in) {
  auto field = in.Text("ordered_at", {.min = 0, .max = 64});
  if (!field.value) return field;
  if (auto parsed = core::ParseDateOrTimestamp(*field.value)) {
    field.value = core::FormatTimestamp(*parsed);
  } else {
    in.Fail("ordered_at", "must be an RFC 3339 timestamp like 2026-11-22T14:00:00Z or a date");
    field.value.reset();
  }
  return field;
}

core::Result<OrderInput> ParseOrder(const nlohmann::json& body, bool create) {
  core::JsonReader in(body);
  OrderInput input;
  if (create) {
    input.customer_id = in.Id("customer_id");
  } else {
    in.ReadOnly({"customer_id"});
  }
  input.amount = in.Money("amount");
  if (input.amount.value && *input.amount.value <= 0) {
    in.Fail("amount", "must be greater than 0 (a refund is a status, not a negative order)");
    input.amount.value.reset();
  }
  input.currency = Currency(in);
  input.status = in.Enum("status", {"paid", "refunded", "cancelled"});
  input.ordered_at = OrderedAt(in);
  in.ReadOnly({"id", "created_at", "updated_at"});
  if (create) {
    in.Require("customer_id", input.customer_id);
    in.Require("amount", input.amount);
  } else {
    in.NotNull("amount", input.amount);
  }
  in.NotNull("currency", input.currency);
  in.NotNull("status", input.status);
  in.NotNull("ordered_at", input.ordered_at);
  if (input.amount.value && input.currency.value) {
    if (auto fits = CheckAmountForCurrency(*input.amount.value, *input.currency.value); !fits) {
      in.Fail("amount", fits.error().errors.front().message);
    }
  }
  if (auto error = in.Finish()) return *error;
  return input;
}

nlohmann::json OrNull(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json Order::ToJson() const {
  return {{"id", id},
          {"customer_id", customer_id},
          {"amount", core::MoneyToJson(amount)},
          {"currency", currency},
          {"status", status},
          {"ordered_at", ordered_at},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

std::string Order::Summary() const {
  return fmt::format("Order of {} {} ({})", core::MoneyToJson(amount).dump(), currency, status);
}

nlohmann::json OrderPage::ToJson() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const Order& order : data) rows.push_back(order.ToJson());
  nlohmann::json out = {{"data", std::move(rows)}, {"next_cursor", OrNull(next_cursor)}};
  if (total) out["total"] = *total;
  return out;
}

core::Result<OrderInput> ParseNewOrder(const nlohmann::json& body) {
  return ParseOrder(body, /*create=*/true);
}

core::Result<OrderInput> ParseOrderChanges(const nlohmann::json& body) {
  return ParseOrder(body, /*create=*/false);
}

core::Status CheckAmountForCurrency(int64_t amount, std::string_view currency) {
  if (CurrencyDecimals(currency) == 0 && amount % 100 != 0) {
    return core::Error::Invalid("amount",
                                fmt::format("must be a whole number: {} has no minor unit", currency));
  }
  return core::Ok{};
}

core::Result<bool> ApplyOrderChanges(const OrderInput& changes, Order& order) {
  Order next = order;
  if (changes.amount.value) next.amount = *changes.amount.value;
  if (changes.currency.value) next.currency = *changes.currency.value;
  if (changes.ordered_at.value) next.ordered_at = *changes.ordered_at.value;
  if (changes.status.value) next.status = *changes.status.value;
  const bool changed = next.amount != order.amount || next.currency != order.currency ||
                       next.ordered_at != order.ordered_at || next.status != order.status;
  if (!changed) return false;
  if (order.status != kPaid) {
    return core::Error::Conflict(
        "status", fmt::format("the order is {}, which is final: it cannot change any more",
                              order.status));
  }
  if (auto fits = CheckAmountForCurrency(next.amount, next.currency); !fits) return fits.error();
  order = std::move(next);
  return true;
}

core::Result<OrderFilter> ParseOrderFilter(const ParamLookup& param) {
  OrderFilter filter;
  auto text = [&](std::string_view name) -> std::optional<std::string> {
    auto value = param(name);
    if (!value || value->empty()) return std::nullopt;
    return std::string(*value);
  };
  if (auto id = text("customer_id")) {
    if (!core::IsUuid(*id)) return core::Error::BadRequest("customer_id", "must be a UUID");
    filter.customer_id = core::ToLowerAscii(*id);
  }
  if (auto status = text("status")) {
    if (std::find(kOrderStatuses.begin(), kOrderStatuses.end(), *status) == kOrderStatuses.end()) {
      return core::Error::BadRequest("status", "must be one of: paid, refunded, cancelled");
    }
    filter.status = std::move(status);
  }
  if (auto currency = text("currency")) {
    std::string code = UpperAscii(*currency);
    if (!IsIsoCurrency(code)) return core::Error::BadRequest("currency", kCurrencyProblem);
    filter.currency = std::move(code);
  }
  for (auto [name, target] : {std::pair{"from", &filter.from}, std::pair{"to", &filter.to}}) {
    if (auto value = text(name)) {
      auto parsed = core::ParseDateOrTimestamp(*value);
      if (!parsed) {
        return core::Error::BadRequest(name, "must be an RFC 3339 timestamp or a date (YYYY-MM-DD)");
      }
      *target = core::FormatTimestamp(*parsed);
    }
  }
  return filter;
}

}  // namespace rapport::orders
