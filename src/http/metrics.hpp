#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
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

  void Record(const std::string& method, const std::string& route, int status, double seconds);

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
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::map<int, uint64_t>> requests_;
  std::map<std::pair<std::string, std::string>, Series> latency_;
  std::vector<Gauge> gauges_;
};

}  // namespace rapport::http
