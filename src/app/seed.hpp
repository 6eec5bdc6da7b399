#pragma once

#include <cstdint>
#include <string>

#include "db/database.hpp"

namespace rapport::app {

struct SeedOptions {
  int64_t customers = 1000;
  uint32_t random_seed = 42;  // the same seed makes the same data
  std::string currency = "USD";  // of the orders (the server's, so they count as spend)
};

// Adds realistic demo data: companies, and customers spread over them with statuses, tags,
// attributes, and for buyers 1 to 5 paid orders (their total_spend, num_visits and
// last_visit_at are what the orders add up to), created over the last two years. Shows
// progress on a terminal. Returns the number of customers added.
int64_t Seed(db::Database& database, const SeedOptions& options);

}  // namespace rapport::app
