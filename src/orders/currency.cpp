#include "orders/currency.hpp"

#include <algorithm>
#include <array>

namespace rapport::orders {

namespace {

// ISO 4217 currencies in circulation (list of 2025), sorted for binary search. Amounts are
// stored in hundredths whatever the currency, so only the zero-decimal ones are marked.
constexpr std::array<std::string_view, 160> kCurrencies = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP",
    "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF",
    "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD",
    "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP",
    "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
    "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB",
    "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD",
    "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD",
    "UYU", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER",
    "ZAR", "ZMW", "ZWG", "ZWL"};

constexpr std::array<std::string_view, 16> kZeroDecimal = {
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"};

constexpr std::array<std::string_view, 7> kThreeDecimal = {"BHD", "IQD", "JOD", "KWD",
                                                           "LYD", "OMR", "TND"};

static_assert(std::is_sorted(kCurrencies.begin(), kCurrencies.end()));

template <class List>
bool Contains(const List& list, std::string_view code) {
  return std::find(list.begin(), list.end(), code) != list.end();
}

}  // namespace

std::optional<int> CurrencyDecimals(std::string_view code) {
  if (!std::binary_search(kCurrencies.begin(), kCurrencies.end(), code)) return std::nullopt;
  if (Contains(kZeroDecimal, code)) return 0;
  if (Contains(kThreeDecimal, code)) return 3;
  return 2;
}

}  // namespace rapport::orders
