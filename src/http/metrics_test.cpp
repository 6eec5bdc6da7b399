#include "http/metrics.hpp"

#include <gtest/gtest.h>

namespace rapport::http {
namespace {

TEST(MetricsTest, RendersGaugesWithAndWithoutALabel) {
  Metrics metrics;
  metrics.AddGauge("rapport_pool", "Pool size.", [] { return 8.0; });
  metrics.AddLabelledGauge("rapport_jobs", "Jobs by status.", "status", [] {
    return std::vector<std::pair<std::string, double>>{{"queued", 3}, {"dead", 0}};
  });
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("# TYPE rapport_pool gauge\nrapport_pool 8\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# HELP rapport_jobs Jobs by status.\n# TYPE rapport_jobs gauge\n"
                      "rapport_jobs{status=\"queued\"} 3\nrapport_jobs{status=\"dead\"} 0\n"),
            std::string::npos)
      << text;
  // One HELP and TYPE line per family, however many label values.
  EXPECT_EQ(text.find("# TYPE rapport_jobs"), text.rfind("# TYPE rapport_jobs"));
}

}  // namespace
}  // namespace rapport::http
