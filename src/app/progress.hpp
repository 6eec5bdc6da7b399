#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace rapport::app {

// A progress bar on stderr for long commands (seed, migrate, import, export). Draws only
// when stderr is a terminal, at most ten times a second; otherwise prints nothing but the
// final line. A total of 0 or less means unknown: the count and rate are shown, no bar.
class ProgressBar {
 public:
  enum class Unit { kItems, kBytes };  // kBytes: counts are shown in MB

  ProgressBar(std::string label, int64_t total, Unit unit = Unit::kItems);
  ~ProgressBar();
  void Advance(int64_t by = 1);
  // `note` is shown after the numbers (e.g. "1200 rows").
  void Set(int64_t done, std::string note = {});
  void Finish();

 private:
  void Draw(bool final);

  std::string label_;
  int64_t total_;
  Unit unit_;
  int64_t done_ = 0;
  std::string note_;
  bool terminal_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point drawn_;
};

}  // namespace rapport::app
