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

TEST(ConfigTest, DefaultsMatchTheContract) {
  auto config = LoadConfig({});
  ASSERT_TRUE(config);
  EXPECT_EQ(config->db, "sqlite://./data/rapport.db");
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->port, 8080);
}

}  // namespace
}  // namespace rapport::app
