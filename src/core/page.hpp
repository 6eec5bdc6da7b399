#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace rapport::core {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

struct SortKey {
  std::string field;  // an allow-listed field name
  bool descending = false;
};

// The list parameters every collection takes: ?limit ?cursor ?sort ?include_total.
struct PageRequest {
  int limit = kDefaultPageSize;
  std::vector<SortKey> sort;        // always ends with the resource's id as tie-breaker
  std::vector<std::string> after;   // cursor: the sort values of the last row seen
  bool include_total = false;
};

// Parses `sort=field,-other` against `allowed`; `fallback` applies when absent.
// BadRequest names the parameter.
Result<std::vector<SortKey>> ParseSort(std::optional<std::string_view> text,
                                       const std::vector<std::string_view>& allowed,
                                       std::string_view fallback);

// The opaque cursor: the sort values of the last row, bound to the sort order so a cursor
// from one order is refused under another.
std::string EncodeCursor(const std::vector<SortKey>& sort, const std::vector<std::string>& values);
Result<std::vector<std::string>> DecodeCursor(std::string_view cursor,
                                              const std::vector<SortKey>& sort);

// A page of results as the API returns it: {"data": [...], "next_cursor": ..., "total"?}.
struct Page {
  nlohmann::json data = nlohmann::json::array();
  std::optional<std::string> next_cursor;
  std::optional<int64_t> total;

  nlohmann::json ToJson() &&;
};

// A page of typed rows; ToJson() is the Page of each row's ToJson().
template <class T>
struct PageOf {
  std::vector<T> data;
  std::optional<std::string> next_cursor;
  std::optional<int64_t> total;

  nlohmann::json ToJson() const {
    Page page;
    for (const T& row : data) page.data.push_back(row.ToJson());
    page.next_cursor = next_cursor;
    page.total = total;
    return std::move(page).ToJson();
  }
};

}  // namespace rapport::core
