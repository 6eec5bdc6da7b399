#include "app/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace rapport::app {

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 1)),
      terminal_(isatty(STDERR_FILENO) == 1),
      started_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Advance(int64_t by) { Set(done_ + by); }

void ProgressBar::Set(int64_t done) {
  done_ = std::min(done, total_);
  const auto now = std::chrono::steady_clock::now();
  if (terminal_ && now - drawn_ > std::chrono::milliseconds(100)) {
    drawn_ = now;
    Draw(false);
  }
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  Draw(true);
}

void ProgressBar::Draw(bool final) {
  constexpr int kWidth = 30;
  const double fraction = static_cast<double>(done_) / static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * kWidth);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
  std::string line = fmt::format("{} [{}{}] {}/{} {:3.0f}% {:.0f}/s {:.1f}s", label_,
                                 std::string(filled, '#'), std::string(kWidth - filled, '.'),
                                 done_, total_, fraction * 100, rate, seconds);
  if (terminal_) {
    fmt::print(stderr, "\r{}\x1b[K{}", line, final ? "\n" : "");
  } else if (final) {
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
}

}  // namespace rapport::app
