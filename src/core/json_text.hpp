#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rapport::core {

// Writing JSON text straight into a string, for the hot read paths where building an
// nlohmann::json document first (a map node and a string per field) and then serialising it
// costs more than the database query. The output is what nlohmann's dump() would write
// for the same value (UTF-8 kept as is, invalid UTF-8 replaced with U+FFFD).

// Appends `text` as a quoted, escaped JSON string.
void AppendJsonString(std::string& out, std::string_view text);
// Appends the string, or null.
void AppendJsonStringOrNull(std::string& out, const std::optional<std::string>& text);

}  // namespace rapport::core
