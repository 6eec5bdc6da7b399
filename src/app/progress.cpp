#include "app/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace rapport::app {

ProgressBar::ProgressBar(std::string label, int64_t total, Unit unit)
    : label_(std::move(label)),
      total_(total),
      unit_(unit),
      terminal_(isatty(STDERR_FILENO) == 1),
      started_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Advance(int64_t by) { Set(done_ + by, note_); }

void ProgressBar::Set(int64_t done, std::string note) {
  done_ = total_ > 0 ? std::min(done, total_) : done;
  note_ = std::move(note);
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
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
  auto amount = [this](double n) {
    return unit_ == Unit::kBytes ? fmt::format("{:.1f}", n / 1e6) : fmt::format("{:.0f}", n);
  };
  const std::string_view per = unit_ == Unit::kBytes ? " MB/s" : "/s";
  std::string line;
  if (total_ > 0) {
    const double fraction = static_cast<double>(done_) / static_cast<double>(total_);
    const int filled = static_cast<int>(fraction * kWidth);
    line = fmt::format("{} [{}{}] {}/{}{} {:3.0f}% {}{} {:.1f}s", label_,
                       std::string(filled, '#'), std::string(kWidth - filled, '.'),
                       amount(static_cast<double>(done_)), amount(static_cast<double>(total_)),
                       unit_ == Unit::kBytes ? " MB" : "", fraction * 100, amount(rate), per,
                       seconds);
  } else {
    line = fmt::format("{} {}{} {}{} {:.1f}s", label_, amount(static_cast<double>(done_)),
                       unit_ == Unit::kBytes ? " MB" : "", amount(rate), per, seconds);
  }
  if (!note_.empty()) line += " " + note_;
  if (terminal_) {
    fmt::print(stderr, "\r{}\x1b[K{}", line, final ? "\n" : "");
  } else if (final) {
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
}

}  // namespace rapport::app
