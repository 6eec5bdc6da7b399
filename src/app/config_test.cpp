#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "app/app.hpp"

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

TEST(ConfigTest, SqliteMemoryMap) {
  EXPECT_FALSE(LoadConfig({})->sqlite_mmap_mb);  // the database layer's default
  EXPECT_EQ(LoadConfig({{"RAPPORT_SQLITE_MMAP_MB", "0"}})->sqlite_mmap_mb, 0u);
  EXPECT_EQ(LoadConfig({{"RAPPORT_SQLITE_MMAP_MB", "256"}})->sqlite_mmap_mb, 256u);
  EXPECT_EQ(DatabaseOptions(*LoadConfig({{"RAPPORT_SQLITE_MMAP_MB", "256"}})).sqlite_mmap_bytes,
            std::size_t{256} << 20);
  for (const char* bad : {"-1", "2048", "lots"}) {
    auto config = LoadConfig({{"RAPPORT_SQLITE_MMAP_MB", bad}});
    ASSERT_FALSE(config) << bad;
    EXPECT_EQ(config.error().errors.at(0).field, "RAPPORT_SQLITE_MMAP_MB");
  }
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

TEST(ConfigTest, ChecksTheAiSettings) {
  auto bad = LoadConfig({{"RAPPORT_AI_PROVIDER", "gemini"}, {"RAPPORT_AI_TIMEOUT", "soon"}});
  ASSERT_FALSE(bad);
  std::set<std::string> fields;
  for (const auto& e : bad.error().errors) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"RAPPORT_AI_TIMEOUT", "RAPPORT_AI_KEY",
                                           "RAPPORT_AI_MODEL"}));

  auto good = LoadConfig({{"RAPPORT_AI_PROVIDER", "openai"},
                          {"RAPPORT_AI_URL", "http://127.0.0.1:11434/v1"},
                          {"RAPPORT_AI_MODEL", "llama3.2:3b"},
                          {"RAPPORT_AI_CONCURRENCY", "2"},
                          {"RAPPORT_AI_USER_LIMIT", "0"},
                          {"RAPPORT_AI_CONNECT_TIMEOUT", "1"},
                          {"RAPPORT_AI_MAX_CONTEXT", "4096"}});
  ASSERT_TRUE(good) << good.error().detail;
  EXPECT_EQ(good->extra.at("RAPPORT_AI_CONCURRENCY"), "2");
}

TEST(ConfigTest, NotificationStreamSettings) {
  auto defaults = LoadConfig({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->sse_max_streams, 100);
  EXPECT_EQ(defaults->sse_max_streams_per_user, 5);
  EXPECT_EQ(defaults->sse_heartbeat, 5);
  auto set = LoadConfig({{"RAPPORT_SSE_MAX_STREAMS", "3"},
                         {"RAPPORT_SSE_MAX_STREAMS_PER_USER", "1"},
                         {"RAPPORT_SSE_HEARTBEAT", "1"}});
  ASSERT_TRUE(set);
  EXPECT_EQ(set->sse_max_streams, 3);
  EXPECT_EQ(set->sse_max_streams_per_user, 1);
  EXPECT_EQ(set->sse_heartbeat, 1);
  auto bad = LoadConfig({{"RAPPORT_SSE_MAX_STREAMS", "0"},
                         {"RAPPORT_SSE_MAX_STREAMS_PER_USER", "many"},
                         {"RAPPORT_SSE_HEARTBEAT", "61"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errors.size(), 3u);
}

TEST(ConfigTest, CampaignRateAndJobLease) {
  auto defaults = LoadConfig({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->campaign_rate, 50);
  EXPECT_EQ(defaults->job_lease_ms, 30000);
  auto set = LoadConfig({{"RAPPORT_CAMPAIGN_RATE", "0"}, {"RAPPORT_JOB_LEASE_MS", "2000"}});
  ASSERT_TRUE(set);
  EXPECT_EQ(set->campaign_rate, 0);
  EXPECT_EQ(set->job_lease_ms, 2000);
  auto bad = LoadConfig({{"RAPPORT_CAMPAIGN_RATE", "-5"}, {"RAPPORT_JOB_LEASE_MS", "10"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errors.size(), 2u);
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
