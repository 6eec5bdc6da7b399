#pragma once

// For *_test.cpp files only: fresh databases for engine-parameterised unit tests.
//
//   class MyStoreTest : public ::testing::TestWithParam<db::Engine> {
//     void SetUp() override {
//       RAPPORT_SKIP_UNLESS_ENGINE(GetParam());
//       database_ = db::test::OpenMigrated(GetParam());
//     }
//   };
//   INSTANTIATE_TEST_SUITE_P(Engines, MyStoreTest, db::test::kEngines, db::test::EngineName);

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "core/principal.hpp"
#include "db/database.hpp"
#include "db/migrations.hpp"

namespace rapport::db::test {

// Why `engine` cannot be tested here (PostgreSQL without RAPPORT_TEST_PG), or nullptr.
inline const char* EngineUnavailable(Engine engine) {
  if (engine == Engine::kPostgres && std::getenv("RAPPORT_TEST_PG") == nullptr) {
    return "RAPPORT_TEST_PG is not set";
  }
  return nullptr;
}

// Skips the current test (in a test body or SetUp) when the engine is unavailable.
#define RAPPORT_SKIP_UNLESS_ENGINE(engine)                                        \
  if (const char* rapport_why = ::rapport::db::test::EngineUnavailable(engine)) \
  GTEST_SKIP() << rapport_why

// A URL of a database nobody has used yet: a SQLite file in a new temporary directory, or a
// new database on the PostgreSQL server named by RAPPORT_TEST_PG (an admin URL such as
// postgres://postgres@127.0.0.1:55432/postgres). Throws std::runtime_error when the
// PostgreSQL database cannot be created.
inline std::string FreshUrl(Engine engine) {
  static std::atomic<int> counter{0};
  std::random_device random;
  const std::string name = "rapport_unit_" + std::to_string(getpid()) + "_" +
                           std::to_string(counter++) + "_" + std::to_string(random() % 100000);
  if (engine == Engine::kSqlite) {
    auto dir = std::filesystem::temp_directory_path() / name;
    std::filesystem::create_directories(dir);
    return "sqlite://" + (dir / "test.db").string();
  }
  const char* admin = std::getenv("RAPPORT_TEST_PG");
  if (admin == nullptr) throw std::runtime_error("RAPPORT_TEST_PG is not set");
  PGconn* connection = PQconnectdb(admin);
  PGresult* result = PQexec(connection, ("CREATE DATABASE " + name).c_str());
  const bool created = PQresultStatus(result) == PGRES_COMMAND_OK;
  std::string error = PQerrorMessage(connection);
  PQclear(result);
  PQfinish(connection);
  if (!created) throw std::runtime_error("CREATE DATABASE " + name + ": " + error);
  std::string url = admin;
  return url.substr(0, url.rfind('/') + 1) + name;
}

// A fresh database (FreshUrl) of `engine`, migrated.
inline std::unique_ptr<Database> OpenMigrated(Engine engine, const Options& options = {}) {
  auto database = Database::Open(FreshUrl(engine), options);
  Migrate(*database);
  return database;
}

// Adds the user `name` (`name`@example.com, no usable password) with `role`, and returns the
// principal that user is.
inline core::Principal AddUser(Database& database, const std::string& name, core::Role role,
                               std::string id = core::NewId()) {
  core::Principal who{core::Principal::Kind::kUser, std::move(id), role, ""};
  database.Apply([&](Session& s) {
    s.Exec(Query("INSERT INTO users (id, email, name, role, password_hash, created_at, "
                 "updated_at) VALUES (")
               .Param(who.id).Sql(", ").Param(name + "@example.com").Sql(", ").Param(name)
               .Sql(", ").Param(core::RoleName(role))
               .Sql(", 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"));
  });
  return who;
}

// Both engines, for INSTANTIATE_TEST_SUITE_P, and test-name suffixes for them.
inline const auto kEngines = ::testing::Values(Engine::kSqlite, Engine::kPostgres);
inline std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kSqlite ? "Sqlite" : "Postgres";
}

}  // namespace rapport::db::test
