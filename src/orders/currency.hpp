#pragma once

#include <optional>
#include <string_view>

namespace rapport::orders {

// The decimals of an ISO 4217 currency in circulation (2 for USD, 0 for JPY, 3 for KWD), or
// nullopt for anything else: unknown codes, lower case, funds (BOV, USN), precious metals
// (XAU) and the testing codes (XTS, XXX).
std::optional<int> CurrencyDecimals(std::string_view code);

inline bool IsIsoCurrency(std::string_view code) { return CurrencyDecimals(code).has_value(); }

}  // namespace rapport::orders
