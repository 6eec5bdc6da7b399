#pragma once

#include <cstdint>

#include "db/database.hpp"

namespace rapport::app {

struct SeedOptions {
  int64_t customers = 1000;
  uint32_t random_seed = 42;  // the same seed makes the same data
};

// Adds realistic demo data: companies, and customers spread over them with statuses, tags,
// attributes, spend and visits, created over the last two years. Shows progress on a
// terminal. Returns the number of customers added.
int64_t Seed(db::Database& database, const SeedOptions& options);

}  // namespace rapport::app
