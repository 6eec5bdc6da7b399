// Prints the SQL that a segment preview runs for a rule group, with the bound values written
// in as literals, so bench/segments can ask each engine for its plan (EXPLAIN). Only for
// looking at plans: the server itself always binds values.
//
//   rapport_segment_sql sqlite|postgres '{"logic":"and","rules":[...]}'
//
// Prints two lines: the count query and the sample query (the first page of the customers
// list, as CustomerStore::List builds them).
#include <cctype>
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "rules/rule.hpp"
#include "rules/rule_sql.hpp"

namespace {

std::string Literal(const rapport::db::Query::Value& value) {
  if (std::holds_alternative<std::nullptr_t>(value)) return "NULL";
  if (const auto* n = std::get_if<long long>(&value)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&value)) return fmt::format("{}", *d);
  std::string out = "'";
  for (char c : std::get<std::string>(value)) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The query with each :pN replaced by its value.
std::string Inline(const rapport::db::Query& query) {
  const std::string& sql = query.sql();
  std::string out;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == ':' && i + 2 < sql.size() && sql[i + 1] == 'p' && std::isdigit(sql[i + 2])) {
      std::size_t end = i + 2;
      while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) ++end;
      out += Literal(query.values().at(std::stoul(sql.substr(i + 2, end - i - 2)) - 1));
      i = end - 1;
    } else {
      out += sql[i];
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s sqlite|postgres RULES_JSON\n", argv[0]);
    return 2;
  }
  const bool postgres = std::string(argv[1]) == "postgres";
  const auto engine = postgres ? rapport::db::Engine::kPostgres : rapport::db::Engine::kSqlite;
  auto document = nlohmann::json::parse(argv[2], nullptr, false);
  auto rule = rapport::rules::ParseRules(document);
  if (!rule) {
    for (const auto& e : rule.error().errors) std::fprintf(stderr, "%s: %s\n", e.field.c_str(), e.message.c_str());
    return 1;
  }
  const auto now = rapport::core::Now();
  constexpr std::string_view kFrom =
      " FROM customers c LEFT JOIN companies co ON co.id = c.company_id WHERE 1 = 1 AND ";
  // Without `q` the count reads customers alone (CustomerStore::List).
  rapport::db::Query count("SELECT count(*) FROM customers c WHERE 1 = 1 AND ");
  rapport::rules::AppendCondition(count, *rule, engine, now);
  rapport::db::Query sample(
      "SELECT c.id, c.name, c.first_name, c.last_name, c.email, c.phone, c.company_id, co.name AS "
      "company, c.status, c.notes, c.tags, c.attributes, c.owner_id, c.total_spend, c.num_visits, "
      "c.last_visit_at, c.last_interaction_at, c.version, c.created_at, c.updated_at");
  sample.Sql(kFrom);
  rapport::rules::AppendCondition(sample, *rule, engine, now);
  sample.Sql(postgres ? " ORDER BY c.created_at COLLATE \"C\" DESC, c.id COLLATE \"C\" DESC LIMIT 11"
                      : " ORDER BY c.created_at DESC, c.id DESC LIMIT 11");
  std::printf("%s\n%s\n", Inline(count).c_str(), Inline(sample).c_str());
  return 0;
}
