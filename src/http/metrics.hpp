#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rapport::http {

// Request counters and latency histograms per route, rendered as Prometheus text.
// Thread-safe.
class Metrics {
 public:
  static constexpr std::array<double, 13> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,  0.1,    0.25,  0.5,
                                                      1,      2.5,   5};

  void Record(std::string_view method, std::string_view route, int status, double seconds);

  // A gauge computed when /metrics is read (job queue depth, pool size, ...).
  void AddGauge(std::string name, std::string help, std::function<double()> read);
  // A gauge with one label, rendered as `name{label="value"} reading` per value that `read`
  // returns (label values are program-chosen, not escaped).
  void AddLabelledGauge(std::string name, std::string help, std::string label,
                        std::function<std::vector<std::pair<std::string, double>>()> read);

  std::string Render() const;

 private:
  struct Series {
    uint64_t count = 0;
    double sum = 0;
    std::array<uint64_t, kBuckets.size()> buckets{};
  };
  struct Gauge {
    std::string name;
    std::string help;
    std::function<double()> read;
    std::string label;  // labelled gauges only
    std::function<std::vector<std::pair<std::string, double>>()> read_labelled;
  };
  struct Route {
    std::map<int, uint64_t> by_status;
    Series latency;
  };
  // (method, route) keys, found from string views without building the pair of strings.
  struct KeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::pair<std::string_view, std::string_view>(a.first, a.second) <
             std::pair<std::string_view, std::string_view>(b.first, b.second);
    }
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Route, KeyLess> routes_;
  std::vector<Gauge> gauges_;
};

}  // namespace rapport::http
