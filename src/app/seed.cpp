#include "app/seed.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/progress.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "customers/customer.hpp"

namespace rapport::app {

namespace {

constexpr std::array kFirstNames = {
    "Ada",   "Alan",  "Grace", "Linus", "Margaret", "Ken",    "Barbara", "Dennis", "Frances",
    "John",  "Maria", "Liam",  "Olivia", "Noah",    "Emma",   "Lucas",   "Sofia",  "Mateo",
    "Amara", "Kenji", "Priya", "Omar",  "Chen",    "Ingrid", "Tariq",   "Yuki",   "Elena",
    "Kwame", "Nadia", "Hugo",  "Leila", "Sven",    "Aiko",   "Diego",   "Fatima", "Tomas"};
constexpr std::array kLastNames = {
    "Lovelace", "Turing", "Hopper",  "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie",
    "Allen",    "Backus", "Garcia",  "Nguyen",   "Smith",    "Okafor",   "Kowalski", "Rossi",
    "Silva",    "Tanaka", "Sharma",  "Haddad",   "Wang",     "Larsen",   "Mensah",  "Petrov",
    "Dubois",   "Moreau", "Schmidt", "Novak",    "Costa",    "Ibrahim",  "Kim",     "Jensen"};
constexpr std::array kCompanyWords = {
    "Acme",   "Globex", "Initech", "Umbrella", "Stark",  "Wayne",  "Wonka",   "Hooli",
    "Vandelay", "Pied Piper", "Soylent", "Tyrell", "Cyberdyne", "Aperture", "Massive", "Nimbus",
    "Blue Harbor", "Northwind", "Contoso", "Fabrikam", "Oakridge", "Silverline", "Redwood", "Summit"};
constexpr std::array kCompanySuffixes = {"Inc", "Ltd", "GmbH", "Labs", "Group", "Systems",
                                         "Partners", "Co", "Studio", "Logistics"};
constexpr std::array kTags = {"vip", "newsletter", "trial", "enterprise", "smb", "partner",
                              "event-2026", "referral", "churn-risk", "upsell"};
constexpr std::array kSources = {"website", "referral", "event", "cold-call", "partner", "ads"};
constexpr std::array kIndustries = {"software", "retail", "finance", "health", "logistics",
                                    "education", "manufacturing", "media"};

struct Company {
  std::string id;
  std::string name;
  std::string domain;
};

std::string Slug(std::string_view text) {
  std::string slug;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      slug += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return slug;
}

std::vector<Company> SeedCompanies(db::Database& database, std::mt19937& rng, int64_t count) {
  std::vector<Company> companies;
  const std::string now = core::FormatTimestamp(core::Now());
  // Every word with every suffix once, in random order, then numbered: the names of one run
  // never repeat each other.
  std::vector<std::string> names;
  for (const char* word : kCompanyWords) {
    for (const char* suffix : kCompanySuffixes) names.push_back(fmt::format("{} {}", word, suffix));
  }
  std::shuffle(names.begin(), names.end(), rng);
  for (int64_t i = 0; i < count; ++i) {
    const auto round = static_cast<std::size_t>(i) / names.size();
    const std::string& base = names[static_cast<std::size_t>(i) % names.size()];
    std::string name = round == 0 ? base : fmt::format("{} {}", base, round + 1);
    companies.push_back({core::NewId(), name, Slug(name) + ".example"});
  }
  database.Apply([&](db::Session& session) {
    for (Company& company : companies) {
      session.Exec(db::Query("INSERT INTO companies (id, name, domain, phone, address, created_at, "
                             "updated_at) VALUES (")
                       .Param(company.id).Sql(", ").Param(company.name).Sql(", ")
                       .Param(company.domain).Sql(", ")
                       .Param(fmt::format("+1 555 {:04}", rng() % 10000)).Sql(", ")
                       .Param(fmt::format("{} Market Street", 1 + rng() % 999)).Sql(", ")
                       .Param(now).Sql(", ").Param(now).Sql(") ON CONFLICT DO NOTHING"));
      // A name that already existed keeps its company.
      session.First(db::Query("SELECT id FROM companies WHERE lower(name) = ")
                        .Param(core::ToLowerAscii(company.name)),
                    [&](const db::Row& row) { company.id = row.Text("id"); });
    }
  });
  return companies;
}

}  // namespace

int64_t Seed(db::Database& database, const SeedOptions& options) {
  std::mt19937 rng(options.random_seed ^ static_cast<uint32_t>(core::Now().time_since_epoch().count()));
  const int64_t company_count = std::clamp<int64_t>(options.customers / 20, 5, 5000);
  const auto companies = SeedCompanies(database, rng, company_count);

  ProgressBar bar("seed customers", options.customers);
  const core::Timestamp now = core::Now();
  constexpr int64_t kBatch = 1000;
  int64_t added = 0;
  for (int64_t start = 0; start < options.customers; start += kBatch) {
    const int64_t end = std::min(options.customers, start + kBatch);
    database.Apply([&](db::Session& session) {
      for (int64_t i = start; i < end; ++i) {
        const std::string id = core::NewId();
        const std::string first = kFirstNames[rng() % kFirstNames.size()];
        const std::string last = kLastNames[rng() % kLastNames.size()];
        const Company& company = companies[rng() % companies.size()];
        const int roll = static_cast<int>(rng() % 100);
        const char* status = roll < 40 ? "lead" : roll < 65 ? "prospect" : roll < 95 ? "customer" : "churned";
        const bool buyer = std::string_view(status) == "customer" || std::string_view(status) == "churned";
        const core::Timestamp created = now - std::chrono::minutes(rng() % (2 * 365 * 24 * 60));
        const std::string created_at = core::FormatTimestamp(created);
        std::vector<std::string> tags;
        for (int t = static_cast<int>(rng() % 3); t > 0; --t) {
          std::string tag = kTags[rng() % kTags.size()];
          if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
        }
        nlohmann::json attributes = {{"source", kSources[rng() % kSources.size()]},
                                     {"industry", kIndustries[rng() % kIndustries.size()]}};
        // Buyers get a few paid orders between their creation and now (in the server's
        // currency); the customer's totals are what those orders add up to, as the orders
        // capability keeps them.
        struct SeedOrder {
          int64_t amount;
          std::string ordered_at;
        };
        std::vector<SeedOrder> orders;
        int64_t spend = 0;
        std::optional<std::string> last_visit;
        for (int64_t n = buyer ? 1 + rng() % 5 : 0; n > 0; --n) {
          const auto since = std::chrono::duration_cast<std::chrono::seconds>(now - created);
          const core::Timestamp at =
              created + std::chrono::seconds(rng() % static_cast<uint64_t>(since.count() + 1));
          orders.push_back({1000 + static_cast<int64_t>(rng() % 50000), core::FormatTimestamp(at)});
          spend += orders.back().amount;
          if (!last_visit || orders.back().ordered_at > *last_visit) last_visit = orders.back().ordered_at;
        }
        const auto visits = static_cast<int64_t>(orders.size());

        customers::Customer customer;
        customer.id = id;
        customer.name = first + " " + last;
        customer.first_name = first;
        customer.last_name = last;
        customer.email = fmt::format("{}.{}.{}@{}", core::ToLowerAscii(first),
                                     core::ToLowerAscii(last), id.substr(24), company.domain);
        customer.phone = fmt::format("+1 555 {:04}", rng() % 10000);
        customer.company_id = company.id;
        customer.company = company.name;
        customer.status = status;
        customer.tags = tags;
        customer.attributes = attributes.dump();
        customer.total_spend = spend;
        customer.num_visits = visits;
        customer.last_visit_at = last_visit;
        customer.created_at = customer.updated_at = created_at;
        std::string doc;
        customer.AppendJson(doc);

        db::Query insert(
            "INSERT INTO customers (id, name, first_name, last_name, email, phone, company_id, "
            "status, notes, tags, attributes, total_spend, num_visits, last_visit_at, created_at, "
            "updated_at, doc) VALUES (");
        insert.Param(id).Sql(", ").Param(customer.name).Sql(", ").Param(first).Sql(", ");
        insert.Param(last).Sql(", ").Param(customer.email).Sql(", ").Param(customer.phone);
        insert.Sql(", ").Param(company.id).Sql(", ").Param(customer.status).Sql(", ");
        insert.Param(customer.notes).Sql(", ").Param(customers::TagsToJson(tags)).Sql(", ");
        insert.Param(customer.attributes).Sql(", ").Param(spend).Sql(", ").Param(visits);
        insert.Sql(", ").Param(last_visit).Sql(", ").Param(created_at).Sql(", ");
        insert.Param(created_at).Sql(", ").Param(doc).Sql(")");
        session.Exec(insert);
        for (const SeedOrder& order : orders) {
          session.Exec(db::Query("INSERT INTO orders (id, customer_id, amount, currency, status, "
                                 "ordered_at, created_at, updated_at) VALUES (")
                           .Param(core::NewId()).Sql(", ").Param(id).Sql(", ").Param(order.amount)
                           .Sql(", ").Param(options.currency).Sql(", 'paid', ")
                           .Param(order.ordered_at).Sql(", ").Param(order.ordered_at).Sql(", ")
                           .Param(order.ordered_at).Sql(")"));
        }
        for (const std::string& tag : tags) {
          session.Exec(db::Query("INSERT INTO customer_tags (customer_id, tag) VALUES (")
                           .Param(id).Sql(", ").Param(tag).Sql(")"));
        }
        session.Exec(db::Query("INSERT INTO customer_status_changes (id, customer_id, from_status, "
                               "to_status, changed_at) VALUES (")
                         .Param(core::NewId()).Sql(", ").Param(id).Sql(", NULL, ")
                         .Param(status).Sql(", ").Param(created_at).Sql(")"));
      }
    });
    added = end;
    bar.Set(added);
  }
  bar.Finish();
  // Fresh statistics after a bulk load, so the query planners see the real sizes.
  database.Apply([](db::Session& session) { session.Exec(db::Query("ANALYZE")); });
  return added;
}

}  // namespace rapport::app
