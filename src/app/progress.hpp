#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace rapport::app {

// A progress bar on stderr for long commands (seed, migrate, import, export). Draws only
// when stderr is a terminal, at most ten times a second; otherwise prints nothing but the
// final line.
class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  ~ProgressBar();
  void Advance(int64_t by = 1);
  void Set(int64_t done);
  void Finish();

 private:
  void Draw(bool final);

  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool terminal_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point drawn_;
};

}  // namespace rapport::app
