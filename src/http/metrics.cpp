#include "http/metrics.hpp"

#include <fmt/format.h>

namespace rapport::http {

void Metrics::Record(std::string_view method, std::string_view route, int status,
                     double seconds) {
  std::lock_guard lock(mutex_);
  auto it = routes_.find(std::pair(method, route));
  if (it == routes_.end()) {
    it = routes_.emplace(std::pair(std::string(method), std::string(route)), Route{}).first;
  }
  ++it->second.by_status[status];
  Series& series = it->second.latency;
  ++series.count;
  series.sum += seconds;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++series.buckets[i];
  }
}

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read), {}, nullptr});
}

void Metrics::AddLabelledGauge(std::string name, std::string help, std::string label,
                               std::function<std::vector<std::pair<std::string, double>>()> read) {
  std::lock_guard lock(mutex_);
  gauges_.push_back({std::move(name), std::move(help), nullptr, std::move(label), std::move(read)});
}

std::string Metrics::Render() const {
  std::string out;
  auto it = std::back_inserter(out);
  std::vector<Gauge> gauges;
  {
    std::lock_guard lock(mutex_);
    out += "# HELP rapport_http_requests_total HTTP requests by route and status.\n";
    out += "# TYPE rapport_http_requests_total counter\n";
    for (const auto& [key, route] : routes_) {
      for (const auto& [status, count] : route.by_status) {
        fmt::format_to(it,
                       "rapport_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
                       key.first, key.second, status, count);
      }
    }
    out += "# HELP rapport_http_request_duration_seconds Time to answer a request.\n";
    out += "# TYPE rapport_http_request_duration_seconds histogram\n";
    for (const auto& [key, route] : routes_) {
      const Series& series = route.latency;
      const auto labels = fmt::format("method=\"{}\",route=\"{}\"", key.first, key.second);
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        fmt::format_to(it, "rapport_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n",
                       labels, kBuckets[i], series.buckets[i]);
      }
      fmt::format_to(it, "rapport_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n",
                     labels, series.count);
      fmt::format_to(it, "rapport_http_request_duration_seconds_sum{{{}}} {}\n", labels,
                     series.sum);
      fmt::format_to(it, "rapport_http_request_duration_seconds_count{{{}}} {}\n", labels,
                     series.count);
    }
    gauges = gauges_;
  }
  for (const Gauge& gauge : gauges) {
    if (gauge.read_labelled) {
      fmt::format_to(it, "# HELP {} {}\n# TYPE {} gauge\n", gauge.name, gauge.help, gauge.name);
      for (const auto& [value, reading] : gauge.read_labelled()) {
        fmt::format_to(it, "{}{{{}=\"{}\"}} {}\n", gauge.name, gauge.label, value, reading);
      }
      continue;
    }
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} gauge\n{} {}\n", gauge.name, gauge.help,
                   gauge.name, gauge.name, gauge.read());
  }
  return out;
}

}  // namespace rapport::http
