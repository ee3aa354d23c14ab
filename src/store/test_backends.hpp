// Test support for the store's tests (header-only, used by *_test.cpp only): a
// fresh empty database per test on either back end. SQLite: a file in a temporary
// directory. PostgreSQL: a schema of its own on the server CTest started (the
// store_pg fixture), reached through the URL in $HOTLINE_TEST_PG_URL_FILE.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "store/database.hpp"
#include "store/store.hpp"
#include "support/test_support.hpp"

namespace hotline::store::testing {

enum class Backend { kSqlite, kPostgres };

// Test names end in /Sqlite or /Postgres (gtest and CTest both use this).
inline void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::kSqlite ? "Sqlite" : "Postgres");
}

// The PostgreSQL test server's URL, or why there is none.
inline Result<std::string> pg_test_url() {
  const char* file = std::getenv("HOTLINE_TEST_PG_URL_FILE");
  if (file == nullptr || *file == '\0') {
    return fail(ErrorCode::kFailedPrecondition,
                "HOTLINE_TEST_PG_URL_FILE is not set: run the store tests through ctest (which "
                "starts PostgreSQL with scripts/pg-test-server), or start one yourself and "
                "point HOTLINE_TEST_PG_URL_FILE at its url file");
  }
  std::error_code ec;
  std::string url;
  if (std::filesystem::exists(file, ec)) url = hotline::testing::read_file(file);
  while (!url.empty() && (url.back() == '\n' || url.back() == ' ')) url.pop_back();
  if (url.empty()) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("PostgreSQL test server URL file '{}' is missing or empty: did "
                            "store.pg_server_start run (ctest fixture store_pg)?",
                            file));
  }
  return url;
}

// One empty database, removed when the object goes.
class TestDatabase {
 public:
  explicit TestDatabase(Backend backend) {
    if (backend == Backend::kSqlite) {
      url_ = "sqlite:" + (dir_ / "hotline.db").string();
      return;
    }
    auto base = pg_test_url();
    if (!base) {
      error_ = base.error().describe();
      return;
    }
    auto admin = open_database(*base);
    if (!admin) {
      error_ = admin.error().describe();
      return;
    }
    static std::atomic<int> counter{0};
    schema_ = fmt::format("test_{}_{}", ::getpid(), counter++);
    if (auto s = (*admin)->execute_script(
            fmt::format("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", schema_));
        !s) {
      error_ = s.error().describe();
      return;
    }
    admin_ = std::move(*admin);
    url_ = fmt::format("{}{}options=-csearch_path%3D{}", *base,
                       base->find('?') == std::string::npos ? '?' : '&', schema_);
  }
  ~TestDatabase() {
    if (admin_) (void)admin_->execute_script(fmt::format("DROP SCHEMA {} CASCADE", schema_));
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // Empty when the database is ready; otherwise why it is not.
  const std::string& error() const { return error_; }
  const std::string& url() const { return url_; }

 private:
  hotline::testing::TempDir dir_;
  std::unique_ptr<Database> admin_;
  std::string schema_;
  std::string url_;
  std::string error_;
};

// Base fixture: a fresh database for the parameter's back end; fails the test (never
// skips it) if the back end is not there.
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_.emplace(GetParam());
    ASSERT_EQ(db_->error(), "") << "no test database";
  }
  const std::string& url() const { return db_->url(); }

 private:
  std::optional<TestDatabase> db_;
};

// A BackendTest with a Store opened on the test database and migrated.
class MigratedStoreTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto s = open_store(url());
    ASSERT_TRUE(s) << s.error().describe();
    store_ = std::move(*s);
    auto m = store_->migrate();
    ASSERT_TRUE(m) << m.error().describe();
  }
  std::unique_ptr<Store> store_;
};

#define HOTLINE_INSTANTIATE_BACKENDS(suite)                                               \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                               \
                           ::testing::Values(::hotline::store::testing::Backend::kSqlite, \
                                             ::hotline::store::testing::Backend::kPostgres))

}  // namespace hotline::store::testing
