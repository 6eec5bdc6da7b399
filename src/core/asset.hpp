#pragma once

#include <string_view>
#include <vector>

namespace rapport::core {

// A file compiled into the binary (see cmake/embed.cmake).
struct Asset {
  std::string_view name;  // the file name, without directories
  std::string_view content;
};

}  // namespace rapport::core
