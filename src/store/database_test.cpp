// The SQL layer on both back ends: placeholders, typed cells, transactions.
#include "store/database.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/test_backends.hpp"

namespace hotline::store {
namespace {

using testing::BackendTest;
using ::testing::HasSubstr;

class DatabaseTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto d = open_database(url());
    ASSERT_TRUE(d) << d.error().describe();
    db_ = std::move(*d);
    ASSERT_TRUE(db_->execute_script(
        "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, score DOUBLE PRECISION)"));
  }
  std::unique_ptr<Database> db_;
};

TEST_P(DatabaseTest, BindsAndReadsTypedValues) {
  auto n = db_->execute("INSERT INTO t (id, name, score) VALUES ($1, $2, $3), ($4, $5, $6)",
                        {std::int64_t{1}, std::string("ann"), 2.5, std::int64_t{-9'000'000'000},
                         std::monostate{}, std::monostate{}});
  ASSERT_TRUE(n) << n.error().describe();
  EXPECT_EQ(*n, 2);
  auto rows = db_->query("SELECT id, name, score FROM t ORDER BY id");
  ASSERT_TRUE(rows) << rows.error().describe();
  ASSERT_EQ(rows->size(), 2u);
  ASSERT_EQ(rows->columns(), 3u);
  EXPECT_EQ(rows->int64(0, 0), -9'000'000'000);
  EXPECT_TRUE(rows->is_null(0, 1));
  EXPECT_EQ(rows->text(0, 1), "");
  EXPECT_TRUE(rows->is_null(0, 2));
  EXPECT_EQ(rows->int64(1, 0), 1);
  EXPECT_EQ(rows->text(1, 1), "ann");
  EXPECT_EQ(rows->at(1, 2), Value(2.5));
}

TEST_P(DatabaseTest, RepeatedPlaceholderAndReusedStatement) {
  for (std::int64_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES ($1, $2)",
                             {i, std::string(i == 2 ? "x" : "y")}));
  }
  auto rows = db_->query("SELECT COUNT(*) FROM t WHERE name = $1 OR id = $2 OR id = $2",
                         {std::string("y"), std::int64_t{2}});
  ASSERT_TRUE(rows) << rows.error().describe();
  EXPECT_EQ(rows->int64(0, 0), 3);
  auto changed =
      db_->execute("UPDATE t SET name = $1 WHERE id > $2", {std::string("z"), std::int64_t{1}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 2);
}

TEST_P(DatabaseTest, WrongParameterCountIsAnError) {
  auto r = db_->execute("INSERT INTO t (id, name) VALUES ($1, $2)", {std::int64_t{1}});
  ASSERT_FALSE(r);
  auto rows = db_->query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->int64(0, 0), 0);
}

TEST_P(DatabaseTest, SyntaxErrorNamesTheStatement) {
  auto r = db_->query("SELEC nothing");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("SELEC nothing"));
  // The connection still works.
  EXPECT_TRUE(db_->query("SELECT 1"));
}

TEST_P(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  {
    auto tx = Transaction::begin(*db_);
    ASSERT_TRUE(tx) << tx.error().describe();
    ASSERT_TRUE(db_->execute("INSERT INTO t (id) VALUES ($1)", {std::int64_t{1}}));
  }  // no commit
  {
    auto tx = Transaction::begin(*db_);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db_->execute("INSERT INTO t (id) VALUES ($1)", {std::int64_t{2}}));
    ASSERT_TRUE(tx->commit());
    EXPECT_FALSE(tx->commit());  // only once
  }
  auto rows = db_->query("SELECT id FROM t");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->int64(0, 0), 2);
}

TEST_P(DatabaseTest, FailedStatementInTransactionThenRollback) {
  {
    auto tx = Transaction::begin(*db_);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db_->execute("INSERT INTO t (id) VALUES ($1)", {std::int64_t{1}}));
    auto dup = db_->execute("INSERT INTO t (id) VALUES ($1)", {std::int64_t{1}});
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::kInvalidArgument);  // a constraint, not a fault
  }  // rolled back
  auto tx = Transaction::begin(*db_);
  ASSERT_TRUE(tx) << tx.error().describe();
  ASSERT_TRUE(tx->commit());
  auto rows = db_->query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->int64(0, 0), 0);
}

TEST_P(DatabaseTest, TableExists) {
  EXPECT_EQ(db_->table_exists("t"), true);
  EXPECT_EQ(db_->table_exists("nope"), false);
}

HOTLINE_INSTANTIATE_BACKENDS(DatabaseTest);

TEST(RedactUrlTest, HidesPasswords) {
  EXPECT_EQ(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
  EXPECT_EQ(redact_url("postgres://u@h/db?password=secret&x=1"),
            "postgres://u@h/db?password=***&x=1");
  EXPECT_EQ(redact_url("postgres://h/db"), "postgres://h/db");
  EXPECT_EQ(redact_url("sqlite:var/x.db"), "sqlite:var/x.db");
}

}  // namespace
}  // namespace hotline::store
