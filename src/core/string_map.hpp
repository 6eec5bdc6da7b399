#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rapport::core {

// Hashes std::string and std::string_view alike, so a map keyed by strings can be searched
// with a view (no temporary string).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

// A hash map keyed by strings whose find() takes a std::string_view.
template <class Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

}  // namespace rapport::core
