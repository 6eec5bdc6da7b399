// Micro-benchmarks of the JSON work on the hot read path: one page of 20 customers, built as
// an nlohmann::json DOM (as the routes do) and serialised, plus the core helpers every row
// goes through (MoneyToJson, FormatTimestamp, NewId). Links rapport_core only, so it keeps
// building while the customer module changes; the customer here mirrors SPEC.md §3.
//
//   ninja -C build rapport_json_bench && build/bench/rapport_json_bench
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/ids.hpp"
#include "core/money.hpp"
#include "core/page.hpp"
#include "core/time.hpp"

namespace {

using rapport::core::FormatTimestamp;
using rapport::core::MoneyToJson;
using rapport::core::NewId;
using rapport::core::Now;

// The columns of one customer row as they come out of the store (strings, ints).
struct Row {
  std::string id, name, first_name, last_name, email, phone, company_id, company, status, notes;
  std::vector<std::string> tags;
  std::string attributes_json;  // stored as JSON text
  std::string owner_id;
  int64_t total_spend_minor = 0;
  int64_t num_visits = 0;
  std::string last_visit_at, last_interaction_at, created_at, updated_at;
};

std::vector<Row> MakeRows(int n) {
  std::vector<Row> rows;
  const std::string now = FormatTimestamp(Now());
  for (int i = 0; i < n; ++i) {
    Row r;
    r.id = NewId();
    r.first_name = "Grace";
    r.last_name = fmt::format("Hopper{}", i);
    r.name = r.first_name + " " + r.last_name;
    r.email = fmt::format("grace.hopper{}@globex-systems.example", i);
    r.phone = "+1 555 0142";
    r.company_id = NewId();
    r.company = "Globex Systems";
    r.status = "lead";
    r.notes = "Met at the spring trade fair; wants a demo of the reporting module.";
    r.tags = {"vip", "newsletter"};
    r.attributes_json = R"({"source":"event","industry":"software","seats":25})";
    r.owner_id = NewId();
    r.total_spend_minor = 12050 + i * 199;
    r.num_visits = 3 + i;
    r.last_visit_at = r.last_interaction_at = r.created_at = r.updated_at = now;
    rows.push_back(std::move(r));
  }
  return rows;
}

// The way a route typically does it: a DOM object per row, parsed attributes, then dump().
nlohmann::json RowToJson(const Row& r) {
  nlohmann::json j = {
      {"id", r.id},
      {"name", r.name},
      {"first_name", r.first_name},
      {"last_name", r.last_name},
      {"email", r.email},
      {"phone", r.phone},
      {"company_id", r.company_id},
      {"company", r.company},
      {"status", r.status},
      {"notes", r.notes},
      {"tags", r.tags},
      {"attributes", nlohmann::json::parse(r.attributes_json)},
      {"owner_id", r.owner_id},
      {"total_spend", MoneyToJson(r.total_spend_minor)},
      {"num_visits", r.num_visits},
      {"last_visit_at", r.last_visit_at},
      {"last_interaction_at", r.last_interaction_at},
      {"created_at", r.created_at},
      {"updated_at", r.updated_at},
  };
  return j;
}

void BM_PageOf20_DomAndDump(benchmark::State& state) {
  const auto rows = MakeRows(20);
  size_t bytes = 0;
  for (auto _ : state) {
    rapport::core::Page page;
    for (const Row& r : rows) page.data.push_back(RowToJson(r));
    page.next_cursor = "eyJzIjpbImlkIl0sInYiOlsiMDE4OSJdfQ";
    std::string body = std::move(page).ToJson().dump();
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(state.iterations() * 20);
}
BENCHMARK(BM_PageOf20_DomAndDump);

// Only the dump() of an already-built page: what is left if building the DOM were free.
void BM_PageOf20_DumpOnly(benchmark::State& state) {
  const auto rows = MakeRows(20);
  nlohmann::json page = {{"data", nlohmann::json::array()}, {"next_cursor", nullptr}};
  for (const Row& r : rows) page["data"].push_back(RowToJson(r));
  for (auto _ : state) {
    std::string body = page.dump();
    benchmark::DoNotOptimize(body);
  }
  state.SetItemsProcessed(state.iterations() * 20);
}
BENCHMARK(BM_PageOf20_DumpOnly);

void BM_OneCustomer_DomAndDump(benchmark::State& state) {
  const auto rows = MakeRows(1);
  for (auto _ : state) {
    std::string body = RowToJson(rows[0]).dump();
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_OneCustomer_DomAndDump);

void BM_AttributesParse(benchmark::State& state) {
  const auto rows = MakeRows(1);
  for (auto _ : state) {
    auto j = nlohmann::json::parse(rows[0].attributes_json);
    benchmark::DoNotOptimize(j);
  }
}
BENCHMARK(BM_AttributesParse);

void BM_MoneyToJson(benchmark::State& state) {
  int64_t minor = 12050;
  for (auto _ : state) {
    auto j = MoneyToJson(minor++);
    benchmark::DoNotOptimize(j);
  }
}
BENCHMARK(BM_MoneyToJson);

void BM_FormatTimestamp(benchmark::State& state) {
  const auto t = Now();
  for (auto _ : state) {
    auto s = FormatTimestamp(t);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_FormatTimestamp);

void BM_NewId(benchmark::State& state) {
  for (auto _ : state) {
    auto s = NewId();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_NewId);

}  // namespace

BENCHMARK_MAIN();
