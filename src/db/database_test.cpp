#include "db/database.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "db/keyset.hpp"
#include "db/listener.hpp"
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

TEST_P(DatabaseTest, OneStatementServesEveryMixOfNullsAndTypes) {
  // The same SQL run with NULLs, text, integers and doubles in changing places: every run
  // reads its own values, and the connection prepares the statement once.
  const std::vector<std::pair<Query::Value, Query::Value>> runs = {
      {std::string("7"), nullptr}, {nullptr, std::string("note")},
      {0LL, std::string("x")}, {0.5, nullptr}, {nullptr, nullptr}};
  database_->Apply([&](Session& s) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
      s.Exec(Query("INSERT INTO items (id, name, amount, note) VALUES (")
                 .Param(std::to_string(i)).Sql(", 'n', 1, CAST(").Param(runs[i].second)
                 .Sql(" AS TEXT))"));
    }
    const std::size_t before = s.CachedStatements();
    std::vector<std::string> seen;
    for (const auto& [amount, note] : runs) {
      const Query query = Query("SELECT count(*) AS n FROM items WHERE (CAST(")
                              .Param(amount).Sql(" AS DOUBLE PRECISION) IS NULL OR amount < CAST(")
                              .Param(amount).Sql(" AS DOUBLE PRECISION)) AND (CAST(").Param(note)
                              .Sql(" AS TEXT) IS NULL OR note = CAST(").Param(note).Sql(" AS TEXT))");
      s.First(query, [&](const Row& row) { seen.push_back(row.Text("n")); });
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"5", "1", "0", "0", "5"}));
    EXPECT_EQ(s.CachedStatements(), before + 1);
  });
}

TEST_P(DatabaseTest, AFullStatementCacheDropsOneStatementAtATime) {
  database_->Read([&](Session& s) {
    const std::size_t before = s.CachedStatements();
    for (int i = 0; i < 300; ++i) {
      // Distinct SQL texts; early ones are evicted and prepared again when run again.
      const int n = i < 280 ? i : i - 280;
      EXPECT_EQ(s.Scalar(Query(fmt::format("SELECT {} + ", n)).Param(1)), n + 1);
      if (i < 256 - static_cast<int>(before)) {
        EXPECT_EQ(s.CachedStatements(), before + i + 1);
      }
    }
    EXPECT_EQ(s.CachedStatements(), 256u);
    return 0;
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

TEST_P(DatabaseTest, SavepointUndoesOnlyTheFailedPartAndKeepsTheTransactionUsable) {
  auto result = database_->Write([&](Session& s) -> core::Status {
    Insert(s, "a", 1);
    // A duplicate key fails the statement (on PostgreSQL it would abort the transaction).
    EXPECT_THROW((void)s.Savepoint([&]() -> core::Status {
      Insert(s, "b", 2);
      Insert(s, "a", 3);
      return core::Ok{};
    }),
                 DatabaseError);
    // An error value undoes the savepoint's work as well.
    auto refused = s.Savepoint([&]() -> core::Status {
      Insert(s, "c", 4);
      return core::Error::Invalid("amount", "no");
    });
    EXPECT_FALSE(refused.ok());
    // Nested: the inner one fails, the outer one keeps its own work.
    auto outer = s.Savepoint([&]() -> core::Status {
      Insert(s, "d", 5);
      auto inner = s.Savepoint([&]() -> core::Status {
        Insert(s, "e", 6);
        return core::Error::Invalid("amount", "no");
      });
      EXPECT_FALSE(inner.ok());
      return core::Ok{};
    });
    EXPECT_TRUE(outer.ok());
    Insert(s, "f", 7);  // the transaction still works
    return core::Ok{};
  });
  ASSERT_TRUE(result.ok());
  auto ids = database_->Read([](Session& s) {
    std::string ids;
    s.ForEach(Query("SELECT id FROM items ORDER BY id"),
              [&](const Row& row) { ids += row.Text("id"); });
    return ids;
  });
  EXPECT_EQ(ids, "adf");
}

TEST_P(DatabaseTest, SavepointsLargerThanTheInMemoryJournalRollBackAndCommit) {
  // Each write below changes ~7 MB of rows already committed, far more than a statement
  // journal keeps in memory, so its undo copies go to a file: the failed one must still be
  // undone, the next one committed.
  ASSERT_TRUE(database_->Write([&](Session& s) -> core::Status {
    s.Exec(Query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                 "INSERT INTO items (id, name, amount) SELECT 'i' || i, ")
               .Param(std::string(300, 'x')).Sql(" || i, i FROM n"));
    return core::Ok{};
  }).ok());
  auto failed = database_->Write([&](Session& s) -> core::Status {
    s.Exec(Query("UPDATE items SET name = name || '!', amount = amount + 1"));
    return core::Error::Conflict("changed my mind");
  });
  EXPECT_FALSE(failed.ok());
  auto sum = [&] {
    return database_->Read([](Session& s) { return s.Scalar(Query("SELECT sum(amount) FROM items")); });
  };
  EXPECT_EQ(sum(), 20000LL * 20001 / 2);
  EXPECT_TRUE(database_->Write([&](Session& s) -> core::Status {
    s.Exec(Query("UPDATE items SET name = name || '!', amount = amount + 1"));
    return core::Ok{};
  }).ok());
  EXPECT_EQ(sum(), 20000LL * 20001 / 2 + 20000);
}

TEST_P(DatabaseTest, BulkWritesCommitOrRollBackAloneAmongOrdinaryOnes) {
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        auto write = [&](Session& s) -> core::Status {
          Insert(s, id, i);
          if (i % 5 == 0) return core::Error::Invalid("amount", "refused");  // rolled back
          return core::Ok{};
        };
        auto result = t % 2 == 0 ? database_->WriteBulk(write) : database_->Write(write);
        if (!result) ++failed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed, 8 * 4);
  EXPECT_EQ(Count(), 8 * 16);
  // A bulk write that throws leaves nothing behind and the next one works.
  EXPECT_THROW(database_->WriteBulk([&](Session& s) -> core::Status {
    Insert(s, "x", 1);
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(Count(), 8 * 16);
  ASSERT_TRUE(database_->WriteBulk([&](Session& s) -> core::Status {
    Insert(s, "y", 1);
    return core::Ok{};
  }).ok());
  EXPECT_EQ(Count(), 8 * 16 + 1);
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
  // Bulk writes (a transaction of their own on SQLite) keep the same promise.
  EXPECT_TRUE(database_->WriteBulk([&](Session& s) -> core::Status {
    s.AfterCommit([&] { ran += 1; });
    return core::Ok{};
  }).ok());
  EXPECT_FALSE(database_->WriteBulk([&](Session& s) -> core::Status {
    s.AfterCommit([&] { ran += 1000; });
    return core::Error::Conflict("rolled back");
  }).ok());
  EXPECT_EQ(ran.load(), 17);
}

TEST_P(DatabaseTest, AListenerHandsOverThePayloadsOfNotifications) {
  Listener listener(*database_, {"rapport_test_payloads"});
  std::vector<std::string> payloads;
  EXPECT_FALSE(listener.Wait(std::chrono::milliseconds(50), &payloads));  // connects
  if (GetParam() != Engine::kPostgres) {
    EXPECT_TRUE(payloads.empty());  // SQLite has nothing to listen to
    return;
  }
  database_->Apply([](Session& s) {
    for (const char* payload : {"first", "second"}) {
      s.Scalar(Query("SELECT count(*) FROM (SELECT pg_notify('rapport_test_payloads', ")
                   .Param(payload)
                   .Sql(")) AS n"));
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (payloads.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    listener.Wait(std::chrono::milliseconds(100), &payloads);
  }
  EXPECT_EQ(payloads, (std::vector<std::string>{"first", "second"}));
  EXPECT_FALSE(listener.Wait(std::chrono::milliseconds(50)));  // all consumed
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

TEST_P(DatabaseTest, SqliteReadsThroughAMemoryMap) {
  if (GetParam() != Engine::kSqlite) GTEST_SKIP() << "SQLite only";
  EXPECT_GT(database_->Read([](Session& s) { return s.Scalar(Query("PRAGMA mmap_size")); }), 0);
}

TEST_P(DatabaseTest, SqliteMemoryMapCanBeTurnedOff) {
  if (GetParam() != Engine::kSqlite) GTEST_SKIP() << "SQLite only";
  auto unmapped = Database::Open(test::FreshUrl(GetParam()), {.pool_size = 1, .sqlite_mmap_bytes = 0});
  EXPECT_EQ(unmapped->Read([](Session& s) { return s.Scalar(Query("PRAGMA mmap_size")); }), 0);
}

TEST_P(DatabaseTest, MultiRowStatementsCountTheirRowsAndReportViolations) {
  database_->Read([](Session& s) {
    return s.Exec(Query("CREATE TABLE parents (id TEXT PRIMARY KEY)"));
  });
  database_->Read([](Session& s) {
    return s.Exec(Query("CREATE TABLE children (id TEXT PRIMARY KEY, "
                        "parent_id TEXT REFERENCES parents (id))"));
  });
  database_->Apply([&](Session& s) {
    Query query("INSERT INTO items (id, name, amount, note) VALUES ");
    for (int i = 0; i < 3; ++i) {
      query.Sql(i == 0 ? "(" : ", (").Param(std::to_string(i)).Sql(", 'n', ").Param(int64_t{i});
      query.Sql(", ").Param(i == 1 ? std::optional<std::string>() : std::optional<std::string>("x"));
      query.Sql(")");
    }
    EXPECT_EQ(s.Exec(query), 3);
    // The same text with the NULL elsewhere is the same statement, and binds as given.
    EXPECT_EQ(s.Exec(Query("UPDATE items SET note = ").Param(std::optional<std::string>())
                         .Sql(" WHERE id = ").Param("0")), 1);
    EXPECT_EQ(s.Exec(Query("UPDATE items SET note = ").Param(std::optional<std::string>("y"))
                         .Sql(" WHERE id = ").Param("1")), 1);
  });
  database_->Read([&](Session& s) {
    std::vector<std::optional<std::string>> notes;
    s.ForEach(Query("SELECT note FROM items ORDER BY id"),
              [&](const Row& row) { notes.push_back(row.OptText("note")); });
    EXPECT_EQ(notes, (std::vector<std::optional<std::string>>{std::nullopt, "y", "x"}));
    return 0;
  });
  auto duplicate = database_->Write([&](Session& s) -> core::Status {
    try {
      Insert(s, "0", 1);
    } catch (const std::exception& e) {
      EXPECT_TRUE(IsUniqueViolation(e)) << e.what();
      EXPECT_FALSE(IsForeignKeyViolation(e));
      return core::Error::Conflict("duplicate");
    }
    return core::Ok{};
  });
  EXPECT_FALSE(duplicate.ok());
  auto orphan = database_->Write([&](Session& s) -> core::Status {
    try {
      s.Exec(Query("INSERT INTO children (id, parent_id) VALUES ('c', 'nobody')"));
    } catch (const std::exception& e) {
      EXPECT_TRUE(IsForeignKeyViolation(e)) << e.what();
      return core::Error::Invalid("parent_id", "no such parent");
    }
    return core::Ok{};
  });
  EXPECT_FALSE(orphan.ok());
  EXPECT_EQ(Count(), 3);
}

TEST_P(DatabaseTest, CustomPlansLastAsLongAsTheirScope) {
  database_->Read([&](Session& s) {
    auto mode = [&] {
      std::string value;
      s.First(Query("SELECT current_setting('plan_cache_mode')"),
              [&](const Row& row) { value = row.TextAt(0); });
      return value;
    };
    if (GetParam() == Engine::kSqlite) {
      CustomPlans plans(s);  // nothing to do, and nothing breaks
      return 0;
    }
    EXPECT_EQ(mode(), "auto");
    {
      CustomPlans plans(s);
      EXPECT_EQ(mode(), "force_custom_plan");
    }
    EXPECT_EQ(mode(), "auto");
    return 0;
  });
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
