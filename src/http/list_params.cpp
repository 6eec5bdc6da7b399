#include "http/list_params.hpp"

#include <charconv>

namespace rapport::http {

core::Result<bool> QueryFlag(const Request& request, std::string_view name, bool fallback) {
  auto value = request.Query(name);
  if (!value) return fallback;
  if (*value == "true" || *value == "1") return true;
  if (*value == "false" || *value == "0") return false;
  return core::Error::BadRequest(name, "must be true or false");
}

core::Result<core::PageRequest> ParsePage(const Request& request,
                                          const std::vector<std::string_view>& sortable,
                                          std::string_view fallback_sort) {
  core::PageRequest page;
  if (auto limit = request.Query("limit")) {
    int n = 0;
    auto [ptr, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || ptr != limit->data() + limit->size() || n < 1 ||
        n > core::kMaxPageSize) {
      return core::Error::BadRequest("limit", "must be an integer from 1 to 500");
    }
    page.limit = n;
  }
  auto sort = core::ParseSort(request.Query("sort"), sortable, fallback_sort);
  if (!sort) return sort.error();
  page.sort = std::move(*sort);
  bool descending = !page.sort.empty() && page.sort.back().descending;
  bool has_id = false;
  for (const auto& key : page.sort) has_id = has_id || key.field == "id";
  if (!has_id) page.sort.push_back({"id", descending});
  if (auto cursor = request.Query("cursor"); cursor && !cursor->empty()) {
    auto after = core::DecodeCursor(*cursor, page.sort);
    if (!after) return after.error();
    page.after = std::move(*after);
  }
  auto total = QueryFlag(request, "include_total", false);
  if (!total) return total.error();
  page.include_total = *total;
  return page;
}

}  // namespace rapport::http
