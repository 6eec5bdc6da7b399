#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rapport::core {

// Largest accepted amount, in minor units: 9,999,999,999,999.99. Up to 15 significant
// digits a decimal survives the trip through a double (DBL_DIG), so every amount up to here
// is read and written exactly; beyond it, two-decimal amounts can silently change by a cent.
inline constexpr int64_t kMaxMoneyMinor = 999'999'999'999'999;

// Converts a JSON amount in major units to integer minor units, exactly: 120.5 → 12050,
// 0.07 → 7, 19.99 → 1999, 3 → 300. The value must be a JSON number (integer or float),
// finite, 0 ≤ minor units ≤ kMaxMoneyMinor, with at most two decimals in its shortest round-trip
// decimal form (so 1.005 and 0.001 are rejected). Returns nullopt otherwise, including for
// strings, booleans and null. Callers enforce any stricter rule (e.g. amount > 0).
std::optional<int64_t> ParseMoney(const nlohmann::json& v);

// The JSON number for an amount in minor units, as people write it: 12050 → 120.5,
// 1999 → 19.99, 7 → 0.07, 100 → 1 (an integer when whole, otherwise a double whose
// shortest form, and so json::dump(), has at most two decimals). Exact for
// |minor| ≤ kMaxMoneyMinor; negative amounts are allowed.
nlohmann::json MoneyToJson(int64_t minor);

// True for three uppercase ASCII letters ("USD", "EUR"). Does not check the ISO 4217 list.
bool IsCurrencyCode(std::string_view s);

}  // namespace rapport::core
