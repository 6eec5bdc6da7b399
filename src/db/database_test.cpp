#include "db/database.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "db/keyset.hpp"
#include "db/migrations.hpp"
#include "db/test_database.hpp"

namespace rapport::db {
namespace {

using testing::FreshUrl;

class DatabaseTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (auto reason = testing::UnavailableReason(GetParam()); !reason.empty()) {
      GTEST_SKIP() << reason;
    }
    database_ = Database::Open(FreshUrl(GetParam()), {.pool_size = 4});
    database_->Read([](Session& s) {
      return s.Exec(Query("CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
                          "amount BIGINT NOT NULL, note TEXT)"));
    });
  }
  int64_t Count() {
    return database_->Read([](Session& s) { return s.Scalar(Query("SELECT count(*) FROM items")); });
  }
  void Insert(Session& s, const std::string& id, int64_t amount) {
    s.Exec(Query("INSERT INTO items (id, name, amount) VALUES (")
               .Param(id).Sql(", ").Param("n-" + id).Sql(", ").Param(amount).Sql(")"));
  }
  std::unique_ptr<Database> database_;
};

TEST_P(DatabaseTest, ValuesAreBoundNotPasted) {
  const std::string hostile = "x'); DROP TABLE items; --";
  database_->Apply([&](Session& s) {
    s.Exec(Query("INSERT INTO items (id, name, amount, note) VALUES (")
               .Param("1").Sql(", ").Param(hostile).Sql(", ").Param(int64_t{5}).Sql(", ")
               .Param(std::optional<std::string>()).Sql(")"));
  });
  database_->Read([&](Session& s) {
    return s.First(Query("SELECT name, amount, note FROM items WHERE id = ").Param("1"),
                   [&](const Row& row) {
                     EXPECT_EQ(row.Text("name"), hostile);
                     EXPECT_EQ(row.Int("amount"), 5);
                     EXPECT_FALSE(row.OptText("note"));
                   });
  });
}

TEST_P(DatabaseTest, FailedWriteRollsBackOnlyItself) {
  auto failed = database_->Write([&](Session& s) -> core::Status {
    Insert(s, "a", 1);
    return core::Error::Conflict("changed my mind");
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(database_->Write([&](Session& s) -> core::Status {
    Insert(s, "b", 2);
    return core::Ok{};
  }).ok());
  EXPECT_EQ(Count(), 1);
}

TEST_P(DatabaseTest, ConcurrentWritersAllCommit) {
  constexpr int kThreads = 16;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        // Every fifth write fails on purpose; it must not take others down with it.
        auto result = database_->Write([&](Session& s) -> core::Status {
          Insert(s, id, i);
          if (i % 5 == 4) return core::Error::Conflict("planned failure");
          return core::Ok{};
        });
        EXPECT_EQ(result.ok(), i % 5 != 4);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(Count(), kThreads * kEach * 4 / 5);
}

TEST_P(DatabaseTest, ExceptionsPropagateAndRollBack) {
  EXPECT_THROW(database_->Apply([&](Session& s) {
    Insert(s, "dup", 1);
    Insert(s, "dup", 2);  // primary key violation
  }),
               std::exception);
  EXPECT_EQ(Count(), 0);
  try {
    database_->Apply([&](Session& s) {
      Insert(s, "x", 1);
      Insert(s, "x", 1);
    });
  } catch (const std::exception& e) {
    EXPECT_TRUE(IsUniqueViolation(e)) << e.what();
  }
}

TEST_P(DatabaseTest, ErrorsNeitherQuoteTheSqlNorTheValues) {
  const std::string secret = "s3cret-value-that-must-not-be-logged";
  try {
    database_->Apply([&](Session& s) {
      s.Exec(Query("INSERT INTO items (id, name, amount) VALUES (").Param("same").Sql(", ")
                 .Param(secret).Sql(", 1)"));
      s.Exec(Query("INSERT INTO items (id, name, amount) VALUES (").Param("same").Sql(", ")
                 .Param(secret).Sql(", 1)"));
    });
    FAIL() << "a duplicate key went through";
  } catch (const DatabaseError& e) {
    EXPECT_TRUE(IsUniqueViolation(e));
    EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("INSERT"), std::string::npos) << e.what();
  }
}

TEST_P(DatabaseTest, KeysetPagesVisitEveryRowOnce) {
  database_->Apply([&](Session& s) {
    for (int i = 0; i < 57; ++i) Insert(s, "id" + std::to_string(100 + i), i % 7);
  });
  const std::vector<SortColumn> columns = {{"id", "id"}, {"amount", "amount", true}};
  const std::vector<core::SortKey> sort = {{"amount", true}, {"id", true}};
  std::vector<std::string> after;
  std::set<std::string> seen;
  int64_t last_amount = 1000;
  for (int page = 0; page < 20; ++page) {
    Query query("SELECT id, amount FROM items WHERE 1 = 1");
    AppendKeyset(query, GetParam(), sort, columns, after);
    AppendOrderAndLimit(query, GetParam(), sort, columns, 10);
    int rows = 0;
    database_->Read([&](Session& s) {
      s.ForEach(query, [&](const Row& row) {
        ++rows;
        EXPECT_TRUE(seen.insert(row.Text("id")).second);
        EXPECT_LE(row.Int("amount"), last_amount);
        last_amount = row.Int("amount");
        after = {std::to_string(row.Int("amount")), row.Text("id")};
      });
      return 0;
    });
    if (rows < 10) break;
  }
  EXPECT_EQ(seen.size(), 57u);
}

TEST_P(DatabaseTest, ReadPageFollowsCursorsAndCounts) {
  database_->Apply([&](Session& s) {
    for (int i = 0; i < 23; ++i) Insert(s, "id" + std::to_string(100 + i), i % 4);
  });
  const std::vector<SortColumn> columns = {{"id", "id"}, {"amount", "amount", true}};
  core::PageRequest page;
  page.limit = 5;
  page.sort = {{"amount", false}, {"id", true}};
  page.include_total = true;
  auto from_where = [](Query& query) {
    query.Sql(" FROM items WHERE amount < ").Param(int64_t{3});
  };
  std::vector<std::string> ids;
  int pages = 0;
  for (;; ++pages) {
    ASSERT_LT(pages, 10);
    PageInfo info = database_->Read([&](Session& s) {
      return ReadPage(s, GetParam(), "id, amount", from_where, columns, page,
                      [&](const Row& row) { ids.push_back(row.Text("id")); });
    });
    EXPECT_EQ(info.total, 18);  // amounts 0, 1 and 2
    if (!info.next_cursor) break;
    auto after = core::DecodeCursor(*info.next_cursor, page.sort);
    ASSERT_TRUE(after);
    page.after = *after;
  }
  EXPECT_EQ(pages, 3);  // 5 + 5 + 5 + 3 rows, the last page without a cursor
  EXPECT_EQ(ids.size(), 18u);
  // Ascending amount, then descending id: the same order one big query gives.
  std::vector<std::string> expected;
  database_->Read([&](Session& s) {
    s.ForEach(Query("SELECT id FROM items WHERE amount < 3 ORDER BY amount ASC, id DESC"),
              [&](const Row& row) { expected.push_back(row.Text("id")); });
    return 0;
  });
  EXPECT_EQ(ids, expected);
}

TEST_P(DatabaseTest, MigrationsApplyOnceAndReportReadiness) {
  EXPECT_FALSE(MigrationsApplied(*database_));
  // Numbers are handed out per change, so they may have gaps: every migration is applied,
  // once each, up to the latest.
  const int applied = Migrate(*database_);
  EXPECT_GT(applied, 0);
  auto scalar = [&](const char* sql) {
    return database_->Read([&](Session& s) { return s.Scalar(Query(sql)); });
  };
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), applied);
  EXPECT_EQ(scalar("SELECT MAX(version) FROM schema_migrations"), LatestMigration());
  EXPECT_EQ(Migrate(*database_), 0);
  EXPECT_TRUE(MigrationsApplied(*database_));
}

INSTANTIATE_TEST_SUITE_P(Engines, DatabaseTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& info) { return testing::EngineName(info.param); });

TEST(DatabaseUrlTest, ParsesBothEngines) {
  EXPECT_EQ(ParseUrl("sqlite://./data/rapport.db")->target, "./data/rapport.db");
  EXPECT_EQ(ParseUrl("sqlite:///var/lib/rapport.db")->target, "/var/lib/rapport.db");
  auto pg = ParseUrl("postgres://u:p%40ss@db.internal:6543/crm?sslmode=require");
  ASSERT_TRUE(pg);
  EXPECT_EQ(pg->engine, Engine::kPostgres);
  EXPECT_NE(pg->target.find("host='db.internal'"), std::string::npos) << pg->target;
  EXPECT_NE(pg->target.find("password='p@ss'"), std::string::npos) << pg->target;
  EXPECT_NE(pg->target.find("dbname='crm'"), std::string::npos) << pg->target;
  EXPECT_FALSE(ParseUrl("mysql://x"));
  EXPECT_FALSE(ParseUrl("sqlite://"));
}

}  // namespace
}  // namespace rapport::db
