#pragma once

// For unit tests that touch a database: a fresh one of either engine. Test code only.

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "db/database.hpp"

namespace rapport::db::testing {

// Why `engine` cannot be tested here (PostgreSQL needs RAPPORT_TEST_PG), or "".
inline std::string UnavailableReason(Engine engine) {
  if (engine == Engine::kPostgres && std::getenv("RAPPORT_TEST_PG") == nullptr) {
    return "RAPPORT_TEST_PG is not set";
  }
  return "";
}

// A fresh database of the engine under test: a temp SQLite file, or a new database on the
// PostgreSQL server named by RAPPORT_TEST_PG.
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
  PGconn* connection = PQconnectdb(admin);
  PQclear(PQexec(connection, ("CREATE DATABASE " + name).c_str()));
  PQfinish(connection);
  std::string url = admin;
  return url.substr(0, url.rfind('/') + 1) + name;
}

// Names the engines in parameterised test names.
inline std::string EngineName(Engine engine) {
  return engine == Engine::kSqlite ? "Sqlite" : "Postgres";
}

}  // namespace rapport::db::testing
