#pragma once

#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "core/result.hpp"
#include "http/request.hpp"

namespace rapport::http {

// Reads ?limit ?cursor ?sort ?include_total. `sortable` lists the fields ?sort may name;
// `fallback_sort` applies without ?sort. The id is appended as the final tie-breaker, in
// the direction of the last key. BadRequest names the offending parameter.
core::Result<core::PageRequest> ParsePage(const Request& request,
                                          const std::vector<std::string_view>& sortable,
                                          std::string_view fallback_sort);

// A boolean query parameter (true/false/1/0); BadRequest otherwise.
core::Result<bool> QueryFlag(const Request& request, std::string_view name, bool fallback);

}  // namespace rapport::http
