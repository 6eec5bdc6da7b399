#include "db/database.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "db/keyset.hpp"
#include "db/migrations.hpp"
#include "db/test_database.hpp"

namespace rapport::db {
namespace {

class DatabaseTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    RAPPORT_SKIP_UNLESS_ENGINE(GetParam());
    database_ = Database::Open(test::FreshUrl(GetParam()), {.pool_size = 4});
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

TEST_P(DatabaseTest, AfterCommitRunsOnlyAfterACommit) {
  std::atomic<int> ran{0};
  static const int kKey = 0;
  EXPECT_TRUE(database_->Write([&](Session& s) -> core::Status {
    Insert(s, "kept", 1);
    EXPECT_TRUE(s.AfterCommit([&] { ran += 1; }, &kKey));
    EXPECT_FALSE(s.AfterCommit([&] { ran += 100; }, &kKey));  // same key: once per transaction
    s.AfterCommit([&] { ran += 10; });
    EXPECT_EQ(ran.load(), 0);  // not before the commit
    return core::Ok{};
  }).ok());
  EXPECT_EQ(ran.load(), 11);
  EXPECT_FALSE(database_->Write([&](Session& s) -> core::Status {
    s.AfterCommit([&] { ran += 1000; });
    return core::Error::Conflict("rolled back");
  }).ok());
  EXPECT_THROW(database_->Apply([&](Session& s) {
    s.AfterCommit([&] { ran += 1000; });
    throw std::runtime_error("rolled back");
  }),
               std::runtime_error);
  EXPECT_EQ(ran.load(), 11);
  // A group commit with a failing neighbour: only the committed callers' callbacks run.
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      (void)database_->Write([&](Session& s) -> core::Status {
        s.AfterCommit([&] { ran += 1; }, &kKey);
        if (t % 2 == 1) return core::Error::Conflict("planned failure");
        return core::Ok{};
      });
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ran.load(), 15);
  // A Read's statements commit as they run.
  database_->Read([&](Session& s) { return s.AfterCommit([&] { ran += 1; }); });
  EXPECT_EQ(ran.load(), 16);
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

TEST_P(DatabaseTest, MigrationsApplyOnceAndReportReadiness) {
  EXPECT_FALSE(MigrationsApplied(*database_));
  // Migration numbers may have gaps (numbers are handed out to work merged in any order), so
  // the count applied is not the latest number.
  EXPECT_GT(Migrate(*database_), 0);
  EXPECT_EQ(Migrate(*database_), 0);
  EXPECT_TRUE(MigrationsApplied(*database_));
}

INSTANTIATE_TEST_SUITE_P(Engines, DatabaseTest, test::kEngines, test::EngineName);

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
