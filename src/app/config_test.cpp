#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace rapport::app {
namespace {

TEST(ConfigTest, FlagsBeatEnvironmentBeatFile) {
  auto file = std::filesystem::temp_directory_path() / "rapport-config-test.conf";
  std::ofstream(file) << "# comment\nport = 9000\nRAPPORT_HOST=0.0.0.0\ncurrency=EUR\n";
  setenv("RAPPORT_PORT", "9100", 1);
  auto config = LoadConfig({{"RAPPORT_CONFIG", file.string()}, {"RAPPORT_DB", "sqlite://x.db"}});
  unsetenv("RAPPORT_PORT");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->port, 9100);
  EXPECT_EQ(config->host, "0.0.0.0");
  EXPECT_EQ(config->currency, "EUR");
  EXPECT_EQ(config->db, "sqlite://x.db");
  EXPECT_EQ(config->public_url, "http://0.0.0.0:9100");
  auto flagged = LoadConfig({{"RAPPORT_CONFIG", file.string()}, {"RAPPORT_PORT", "9200"}});
  EXPECT_EQ(flagged->port, 9200);
}

TEST(ConfigTest, RejectsBadValuesByName) {
  auto config = LoadConfig({{"RAPPORT_PORT", "eighty"}, {"RAPPORT_SQLITE_SYNC", "off"},
                            {"RAPPORT_JWT_SECRET", "short"}});
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().errors.size(), 3u);
}

TEST(ConfigTest, JobSettings) {
  auto defaults = LoadConfig({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->job_workers, 8);
  EXPECT_EQ(defaults->job_poll_ms, 500);
  EXPECT_EQ(defaults->job_retention_days, 7);
  EXPECT_EQ(defaults->maintenance_interval, 3600);
  auto set = LoadConfig({{"RAPPORT_JOB_WORKERS", "0"}, {"RAPPORT_JOB_POLL_MS", "50"},
                         {"RAPPORT_JOB_RETENTION_DAYS", "30"}, {"RAPPORT_MAINTENANCE_INTERVAL", "60"}});
  ASSERT_TRUE(set);
  EXPECT_EQ(set->job_workers, 0);
  EXPECT_EQ(set->job_poll_ms, 50);
  EXPECT_EQ(set->job_retention_days, 30);
  EXPECT_EQ(set->maintenance_interval, 60);
  auto bad = LoadConfig({{"RAPPORT_JOB_WORKERS", "-1"}, {"RAPPORT_JOB_POLL_MS", "5"},
                         {"RAPPORT_JOB_RETENTION_DAYS", "0"}, {"RAPPORT_MAINTENANCE_INTERVAL", "x"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errors.size(), 4u);
}

TEST(ConfigTest, DefaultsMatchTheContract) {
  auto config = LoadConfig({});
  ASSERT_TRUE(config);
  EXPECT_EQ(config->db, "sqlite://./data/rapport.db");
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->port, 8080);
}

}  // namespace
}  // namespace rapport::app
